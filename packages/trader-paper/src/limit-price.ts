import type { SignalToExecute } from "@engine/core";
import { toGrid } from "./tick-grid.js";

/** A paper LIMIT order's price, or why the signal gives none. */
export type LimitPriceResult = { ok: true; price: number } | { ok: false; message: string };

/**
 * The limit price of a paper LIMIT order for a signal: the risk manager's `validated_price`, else
 * the strategy's `price`, rounded to the tick grid on the passive side (down for a BUY, up for a
 * SELL), so a BUY never pays more, and a SELL never takes less, than the signal allows.
 */
export function limitPriceOf(signal: SignalToExecute, tickSize: number): LimitPriceResult {
  const original = signal.data.original_signal;
  const price = signal.data.validated_price ?? original.price;
  if (price === null) {
    return {
      ok: false,
      message: "a paper LIMIT order needs a price: the signal has no validated_price and no price",
    };
  }
  if (!(price > 0)) return { ok: false, message: `limit price ${price} is not positive` };
  const onGrid = toGrid(price, tickSize, original.signal_type === "SELL" ? "up" : "down");
  if (!(onGrid > 0)) {
    return { ok: false, message: `limit price ${price} is below one tick (${tickSize})` };
  }
  return { ok: true, price: onGrid };
}
