import type { Instrument } from "../instruments/instrument.js";
import { formatIstTimestamp } from "../time/ist-time.js";
import type { KiteOrder, OrderStatus } from "./kite-order.js";
import { type OrderRecord, pushState, type StateExtras } from "./order-record.js";

/** What the lifecycle needs from the rest of the emulator. */
export interface LifecycleContext {
  priceOf(instrument: Instrument): number;
  releaseMargin(amount: number): void;
  nextTradeId(): string;
  /** Called with every state appended to an order's history. */
  onState(state: KiteOrder): void;
}

/*
 * Orders advance lazily: each read replays the steps that are due by `now`. With a fill delay d
 * and n fill steps, VALIDATION PENDING is due at d/4, OPEN PENDING at d/2, OPEN at 3d/4 and fill k
 * at 3d/4 + k·d/(4n). With d = 0 an order is COMPLETE on the first read after placement, and no
 * timers are needed, which keeps tests deterministic under a fake clock. A held order (fills held
 * by the test) stops before its next fill until `releaseHold`, or until it is cancelled.
 */

function emit(
  record: OrderRecord,
  ctx: LifecycleContext,
  status: OrderStatus,
  at: number,
  extras?: StateExtras,
): void {
  ctx.onState(pushState(record, status, at, extras));
}

function triggerHit(record: OrderRecord, market: number): boolean {
  const { transaction_type, trigger_price } = record.request;
  return transaction_type === "BUY" ? market >= trigger_price : market <= trigger_price;
}

function marketable(record: OrderRecord, market: number): boolean {
  const { order_type, transaction_type, price } = record.request;
  if (order_type === "MARKET" || order_type === "SL-M") return true;
  return transaction_type === "BUY" ? market <= price : market >= price;
}

/** Releases the margin blocked for the unfilled part and marks the order CANCELLED. */
export function cancelRemaining(
  record: OrderRecord,
  ctx: LifecycleContext,
  at: number,
  extras: StateExtras = {},
): void {
  const { quantity } = record.request;
  const unfilled = quantity - record.filledQuantity;
  const release = record.blockedMargin * (unfilled / quantity);
  record.blockedMargin -= release;
  ctx.releaseMargin(release);
  record.stage = "done";
  emit(record, ctx, "CANCELLED", at, { ...extras, cancelledQuantity: unfilled });
}

function fillStep(record: OrderRecord, ctx: LifecycleContext, at: number, market: number): void {
  const { quantity, instrument } = record.request;
  const lot = instrument.lot_size;
  const target =
    record.fillStep >= record.fillSteps
      ? quantity
      : Math.floor((quantity * record.fillStep) / record.fillSteps / lot) * lot;
  const size = target - record.filledQuantity;
  if (size > 0) {
    record.filledQuantity += size;
    record.filledValue += size * market;
    const timestamp = formatIstTimestamp(at);
    record.trades.push({
      trade_id: ctx.nextTradeId(),
      order_id: record.orderId,
      exchange_order_id: record.exchangeOrderId,
      tradingsymbol: instrument.tradingsymbol,
      exchange: instrument.exchange,
      instrument_token: instrument.instrument_token,
      product: record.request.product,
      average_price: market,
      quantity: size,
      transaction_type: record.request.transaction_type,
      fill_timestamp: timestamp,
      order_timestamp: timestamp,
      exchange_timestamp: timestamp,
    });
  }
  if (record.filledQuantity >= quantity) {
    record.stage = "done";
    emit(record, ctx, "COMPLETE", at);
    return;
  }
  // A partial fill shows as OPEN with filled_quantity moving, as on Kite.
  if (size > 0) emit(record, ctx, "OPEN", at);
  record.fillStep += 1;
  record.nextAt = at + record.fillDelayMs / (4 * record.fillSteps);
}

/** A held order stops before its next fill once `holdAfterFills` fill steps are done. */
function heldHere(record: OrderRecord): boolean {
  return record.hold && record.fillStep - 1 >= record.holdAfterFills;
}

/**
 * Lets a held order go on from `now`: the fill it was held before happens at `now`, the ones
 * after it at the usual intervals from there. Steps due before `now` are replayed first, while
 * the order is still held, so the outcome does not depend on when the order was last read.
 */
export function releaseHold(record: OrderRecord, now: number, ctx: LifecycleContext): void {
  advanceOrder(record, now, ctx);
  record.hold = false;
  if (record.stage === "working") {
    record.nextAt = Math.max(record.nextAt, now);
    record.waiting = false;
  }
  advanceOrder(record, now, ctx);
}

/** Replays every step of `record` that is due by `now`. */
export function advanceOrder(record: OrderRecord, now: number, ctx: LifecycleContext): void {
  while (record.stage !== "done" && record.stage !== "amo" && now >= record.nextAt) {
    // A step that had to wait for the price happens when it is observed, not when it was due.
    const at = record.waiting ? now : record.nextAt;
    if (!STEPS[record.stage](record, ctx, at)) return;
  }
}

/** One step of a stage at `at`; false when the order stops there until a later read. */
type Step = (record: OrderRecord, ctx: LifecycleContext, at: number) => boolean;

const STEPS: Record<Exclude<OrderRecord["stage"], "done" | "amo">, Step> = {
  received(record, ctx, at) {
    emit(record, ctx, "VALIDATION PENDING", at);
    if (record.rejection !== null) {
      record.stage = "done";
      emit(record, ctx, "REJECTED", at, {
        statusMessage: record.rejection.message,
        statusMessageRaw: record.rejection.raw,
      });
    } else if (record.request.variety === "amo") {
      record.stage = "amo";
      emit(record, ctx, "AMO REQ RECEIVED", at);
    } else {
      record.stage = "open-pending";
      record.nextAt = record.placedAt + record.fillDelayMs / 2;
    }
    return true;
  },
  "open-pending"(record, ctx, at) {
    emit(record, ctx, "OPEN PENDING", at);
    record.stage = "opening";
    record.nextAt = record.placedAt + (3 * record.fillDelayMs) / 4;
    return true;
  },
  opening(record, ctx, at) {
    record.exchangeTimestamp = formatIstTimestamp(at);
    emit(record, ctx, isStop(record) ? "TRIGGER PENDING" : "OPEN", at);
    record.stage = "working";
    record.fillStep = 1;
    record.nextAt = at + record.fillDelayMs / (4 * record.fillSteps);
    return true;
  },
  working(record, ctx, at) {
    const market = ctx.priceOf(record.request.instrument);
    if (isStop(record) && !record.triggered) {
      if (!triggerHit(record, market)) {
        record.waiting = true;
        return false;
      }
      record.triggered = true;
      emit(record, ctx, "OPEN", at);
    }
    if (!marketable(record, market)) {
      if (record.request.validity === "IOC") cancelRemaining(record, ctx, at);
      else record.waiting = true;
      return false;
    }
    // Held: the step stays due, and `releaseHold` moves it to the release time.
    if (heldHere(record)) return false;
    record.waiting = false;
    fillStep(record, ctx, at, market);
    return true;
  },
};

function isStop(record: OrderRecord): boolean {
  return record.request.order_type === "SL" || record.request.order_type === "SL-M";
}
