import { z } from "zod";
import { TimestampSchema } from "../events/payloads.js";

/**
 * Where an order stands at the broker, in the engine's words. Each trader maps its broker's
 * statuses onto these (Kite's `OPEN`, `TRIGGER PENDING`, `PUT ORDER REQ RECEIVED`... are
 * `accepted`; Upstox's lower-case ones likewise):
 * - `accepted`: the broker has the order and nothing is filled yet (any working state);
 * - `partially_filled`: some of it is filled and the rest is still working;
 * - `filled`: all of it is filled (final);
 * - `cancelled`: cancelled, by anyone, with or without a partial fill (final);
 * - `rejected`: refused by the broker or the exchange, possibly after a partial fill (final);
 * - `expired`: ended by its time in force at the broker (final).
 */
export const BrokerOrderStatusSchema = z.enum([
  "accepted",
  "partially_filled",
  "filled",
  "cancelled",
  "rejected",
  "expired",
]);
/** An order's status at its broker, in the engine's words (`BrokerOrderStatusSchema`). */
export type BrokerOrderStatus = z.infer<typeof BrokerOrderStatusSchema>;

/** Broker statuses after which an order never changes. */
export const FINAL_BROKER_STATUSES: ReadonlySet<BrokerOrderStatus> = new Set([
  "filled",
  "cancelled",
  "rejected",
  "expired",
]);

/**
 * An order status report: what the broker says of one order now, with no side effect on it.
 * Traders produce these from the broker's order book or order history; the engine decides what
 * they mean for the execution (see `transitionExecution`).
 */
export const OrderStatusReportSchema = z.object({
  /** The engine's client order id, as carried in the broker's free-text field. */
  clientOrderId: z.string().min(1),
  /** The broker's own order id. */
  orderId: z.string().min(1),
  status: BrokerOrderStatusSchema,
  /** The order's quantity, in units (shares, or contracts × lot size as the broker counts). */
  quantity: z.number().int().nonnegative(),
  /** Units filled so far (never more than `quantity` for a sane broker; the engine caps it). */
  filledQuantity: z.number().int().nonnegative(),
  /** Average price of the filled units, in the instrument's currency; null while none is filled. */
  averagePrice: z.number().finite().nonnegative().nullable(),
  /** The order's limit price; null for a market order (Kite's `price` 0). */
  limitPrice: z.number().finite().positive().nullable().default(null),
  /**
   * When it last changed at the broker or the exchange, ISO-8601 with an offset; for a filled
   * order, the time of its last fill (Kite: the last trade's `fill_timestamp`). Null if unknown.
   */
  updatedAt: TimestampSchema.nullable(),
  /** The broker's status message (why it was rejected or cancelled), or null. */
  message: z.string().nullable(),
  /** Charges for the fills, when the broker reports them with the order; null otherwise. */
  fees: z.number().finite().nullable().default(null),
});
/** A parsed order status report (`OrderStatusReportSchema`), defaults applied. */
export type OrderStatusReport = z.output<typeof OrderStatusReportSchema>;
/** An order status report as a trader may write it: `limitPrice` and `fees` may be left out. */
export type OrderStatusReportInput = z.input<typeof OrderStatusReportSchema>;

/** An order the engine asks about: its client order id, and the broker's id once known. */
export interface OrderRef {
  clientOrderId: string;
  /** The broker's order id, null while the engine has not learnt it (an ambiguous submission). */
  orderId: string | null;
}

/**
 * What a query for one order found:
 * - `found`: the broker has it, as the report says;
 * - `absent`: the broker answered, and has no order with this client order id (or order id). On
 *   its own this proves nothing about an order submitted moments ago: brokers' order books lag.
 *   The engine concludes absence only after the trader's `orderVisibilityMs`;
 * - `unknown`: the broker could not be asked (outage, expired session); try again later.
 */
export type OrderQuery =
  | { kind: "found"; report: OrderStatusReport }
  | { kind: "absent" }
  | { kind: "unknown"; reason: string };

/**
 * Status reports of many orders from one look at the broker (Kite's `GET /orders` covers every
 * order of the day):
 * - `ok`: `reports` holds an entry for each asked order the broker has; an asked order without one
 *   was absent from the broker's view at the time of the call (with the same caveat as `absent`).
 *   Every order in that view carrying an asked client order id is reported, not only the one whose
 *   order id was asked: several orders for one client order id are a duplicate placement, which
 *   the engine reports (an order the broker listed later than its visibility window, placed again);
 * - `unavailable`: the broker could not be asked.
 */
export type OrderStatusBatch =
  | { kind: "ok"; reports: OrderStatusReport[] }
  | { kind: "unavailable"; reason: string };

/**
 * The answer to a cancel command. A cancel only asks: the order's end still comes from status
 * reports (it may fill before the cancel reaches the exchange).
 * - `requested`: the broker took the request;
 * - `too_late`: the order had already ended (the next report says how);
 * - `failed`: the request did not go through; `retryable` says whether asking again may help.
 */
export type CancelOutcome =
  | { kind: "requested" }
  | { kind: "too_late"; reason: string }
  | { kind: "failed"; reason: string; retryable: boolean };
