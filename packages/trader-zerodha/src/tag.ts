import { clientOrderId } from "@engine/core";

/**
 * The Kite order tag of a signal executed on the `zerodha` namespace: the engine's client order id
 * (`clientOrderId(signalId, "zerodha")`, `e` and the first 19 hex digits of
 * `sha256("zerodha:" + signal id)`), the same value earlier versions derived on their own, so
 * their orders are still found. For operators looking a signal's order up in Kite by hand.
 */
export function orderTag(signalId: string): string {
  return clientOrderId(signalId, "zerodha");
}
