import { formatIstTimestamp } from "../time/ist-time.js";
import { FINAL_STATUSES, type KiteOrder, type KiteTrade, type OrderStatus } from "./kite-order.js";
import type { OrderRequest } from "./order-request.js";

/** Where an order is in its scripted life; `amo` waits until cancelled, `done` never moves. */
export type Stage = "received" | "open-pending" | "opening" | "working" | "amo" | "done";

/** The emulator's mutable bookkeeping for one order; its Kite states are appended to `history`. */
export interface OrderRecord {
  readonly orderId: string;
  readonly exchangeOrderId: string;
  readonly guid: string;
  readonly placedBy: string;
  readonly placedAt: number;
  /** Fill timing captured at placement, so reconfiguring affects only later orders. */
  readonly fillDelayMs: number;
  readonly fillSteps: number;
  /**
   * When the order shows in `GET /orders` and its fills in `GET /trades` (epoch ms): its
   * placement plus the order-book lag in force then.
   */
  readonly listedFrom: number;
  /** Fills are held: the order stops, OPEN, once `holdAfterFills` fill steps are done. */
  hold: boolean;
  readonly holdAfterFills: number;
  request: OrderRequest;
  readonly history: KiteOrder[];
  readonly trades: KiteTrade[];
  stage: Stage;
  /** When the next scripted step is due (epoch ms). */
  nextAt: number;
  /** A due step is waiting on the price (limit not marketable, trigger not hit). */
  waiting: boolean;
  triggered: boolean;
  fillStep: number;
  filledQuantity: number;
  filledValue: number;
  blockedMargin: number;
  /** Set at placement when the order system will reject the order (insufficient funds). */
  rejection: { message: string; raw: string } | null;
  modified: boolean;
  exchangeTimestamp: string | null;
}

/** Extra fields of a state that are not derived from the record. */
export interface StateExtras {
  statusMessage?: string | null;
  statusMessageRaw?: string | null;
  cancelledQuantity?: number;
}

/** Builds the Kite view of the record in `status` at `at`, appends it to the history, returns it. */
export function pushState(
  record: OrderRecord,
  status: OrderStatus,
  at: number,
  extras: StateExtras = {},
): KiteOrder {
  const { request } = record;
  const final = FINAL_STATUSES.has(status);
  const cancelled = extras.cancelledQuantity ?? 0;
  const timestamp = formatIstTimestamp(at);
  const state: KiteOrder = {
    placed_by: record.placedBy,
    order_id: record.orderId,
    exchange_order_id: record.exchangeTimestamp === null ? null : record.exchangeOrderId,
    parent_order_id: null,
    status,
    status_message: extras.statusMessage ?? null,
    status_message_raw: extras.statusMessageRaw ?? null,
    order_timestamp: timestamp,
    exchange_update_timestamp: record.exchangeTimestamp === null ? null : timestamp,
    exchange_timestamp: record.exchangeTimestamp,
    variety: request.variety,
    modified: record.modified,
    exchange: request.instrument.exchange,
    tradingsymbol: request.instrument.tradingsymbol,
    instrument_token: request.instrument.instrument_token,
    order_type: request.order_type,
    transaction_type: request.transaction_type,
    validity: request.validity,
    validity_ttl: request.validity_ttl,
    product: request.product,
    quantity: request.quantity,
    disclosed_quantity: request.disclosed_quantity,
    price: request.price,
    trigger_price: request.trigger_price,
    average_price:
      record.filledQuantity > 0
        ? Math.round((record.filledValue / record.filledQuantity) * 100) / 100
        : 0,
    filled_quantity: record.filledQuantity,
    pending_quantity: final ? 0 : request.quantity - record.filledQuantity,
    cancelled_quantity: cancelled,
    market_protection: request.market_protection,
    meta: {},
    tag: request.tag,
    tags: request.tag === null ? [] : [request.tag],
    guid: record.guid,
  };
  record.history.push(state);
  return state;
}

/** The latest state of a record (every record has at least its first state). */
export function latestState(record: OrderRecord): KiteOrder {
  const latest = record.history[record.history.length - 1];
  if (latest === undefined) throw new Error(`order ${record.orderId} has no state`);
  return latest;
}
