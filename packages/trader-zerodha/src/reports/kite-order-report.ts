import type { BrokerOrderStatus, OrderStatusReport } from "@engine/core";
import { kiteTimestampToEpoch } from "../ist-time.js";
import type { KiteOrderState } from "../kite/order-state.js";

/** Kite statuses after which an order never changes (`CANCELLED AMO`: an AMO cancelled). */
const FINAL_KITE_STATUSES: ReadonlySet<string> = new Set([
  "COMPLETE",
  "REJECTED",
  "CANCELLED",
  "CANCELLED AMO",
]);

/** Whether Kite's status is final. */
export function isFinalKiteStatus(status: string): boolean {
  return FINAL_KITE_STATUSES.has(status.trim().toUpperCase());
}

/**
 * Kite's status in the engine's words. Only the final statuses end an order; every other status
 * (`OPEN`, `TRIGGER PENDING`, `PUT ORDER REQ RECEIVED`, `VALIDATION PENDING`, `OPEN PENDING`, the
 * `MODIFY ...` ones, `CANCEL PENDING`, `AMO REQ RECEIVED`, and any Kite may add) is working:
 * `accepted`, or `partially_filled` once something is filled. An unknown status is never taken
 * for an end, since the order may still fill.
 */
export function brokerStatusOf(status: string, filledQuantity: number): BrokerOrderStatus {
  switch (status.trim().toUpperCase()) {
    case "COMPLETE":
      return "filled";
    case "REJECTED":
      return "rejected";
    case "CANCELLED":
    case "CANCELLED AMO":
      return "cancelled";
    default:
      return filledQuantity > 0 ? "partially_filled" : "accepted";
  }
}

/**
 * Whether the report of this order needs the time of its last fill: it ended with something
 * filled, so the engine publishes `order_filled` with the report's `updatedAt`, and the order's own
 * times may be those of an after-hours reconciliation (16:00) rather than of the trade.
 */
export function needsFillTime(state: KiteOrderState): boolean {
  return isFinalKiteStatus(state.status) && (state.filled_quantity ?? 0) > 0;
}

/** Epoch ms of the order's latest change: at the exchange when known, else of the state. */
function changedAt(state: KiteOrderState): number | null {
  return (
    kiteTimestampToEpoch(state.exchange_update_timestamp) ??
    kiteTimestampToEpoch(state.order_timestamp) ??
    kiteTimestampToEpoch(state.exchange_timestamp)
  );
}

/**
 * The order status report of one Kite order state. `lastFillAt` (epoch ms of its last trade) is
 * the report's `updatedAt` when the order ended with a fill; otherwise, and when it is unknown,
 * the order's latest change. Kite's times are IST without an offset; `updatedAt` is ISO-8601 UTC.
 */
export function orderStatusReport(
  state: KiteOrderState,
  clientOrderId: string,
  lastFillAt: number | null,
): OrderStatusReport {
  const filledQuantity = state.filled_quantity ?? 0;
  const averagePrice = state.average_price ?? 0;
  const price = state.price ?? 0;
  const at = (needsFillTime(state) ? lastFillAt : null) ?? changedAt(state);
  return {
    clientOrderId,
    orderId: state.order_id,
    status: brokerStatusOf(state.status, filledQuantity),
    quantity: state.quantity ?? 0,
    filledQuantity,
    averagePrice: filledQuantity > 0 && averagePrice > 0 ? averagePrice : null,
    limitPrice: state.order_type === "LIMIT" && price > 0 ? price : null,
    updatedAt: at === null ? null : new Date(at).toISOString(),
    message: state.status_message?.trim() || null,
    fees: null,
  };
}
