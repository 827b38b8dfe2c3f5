import { randomBytes } from "node:crypto";
import type { MarginAccount } from "../account/margin-account.js";
import type { PriceBook } from "../account/price-book.js";
import { istDatePrefix } from "../time/ist-time.js";
import type { FillSettings } from "./fill-settings.js";
import type { EmulatedOrder, KiteOrder, KiteTrade } from "./kite-order.js";
import {
  advanceOrder,
  cancelRemaining,
  type LifecycleContext,
  releaseHold,
} from "./order-lifecycle.js";
import { MESSAGES } from "./order-messages.js";
import { latestState, type OrderRecord, pushState } from "./order-record.js";
import type { OrderRequest } from "./order-request.js";

/** Dependencies of the order book. */
export interface OrderBookDeps {
  clock: () => number;
  prices: PriceBook;
  margin: MarginAccount;
  userId: string;
  fills: () => FillSettings;
  /** The order-book lag in force, ms; captured for each order at its placement. */
  orderBookLagMs: () => number;
  onState: (state: KiteOrder) => void;
}

/** Outcome of a cancel or modify: the order id, or Kite's InputException message. */
export type OrderActionResult =
  | { kind: "ok"; orderId: string }
  | { kind: "error"; message: string };

/** Fields a modification may change, already parsed. */
export interface OrderModification {
  quantity?: number;
  price?: number;
  trigger_price?: number;
  order_type?: OrderRequest["order_type"];
  validity?: OrderRequest["validity"];
  disclosed_quantity?: number;
}

/**
 * The day's orders. Order ids keep counting across {@link OrderBook.clear} so that ids stay
 * unique for the life of the process, as a test that spans a reset would expect.
 */
export class OrderBook {
  readonly #deps: OrderBookDeps;
  readonly #orders = new Map<string, OrderRecord>();
  readonly #ctx: LifecycleContext;
  #orderSeq = 0;
  #tradeSeq = 0;

  constructor(deps: OrderBookDeps) {
    this.#deps = deps;
    this.#ctx = {
      priceOf: (instrument) => deps.prices.priceOf(instrument),
      releaseMargin: (amount) => deps.margin.release(amount),
      nextTradeId: () => String(10_000_000 + ++this.#tradeSeq),
      onState: deps.onState,
    };
  }

  get size(): number {
    return this.#orders.size;
  }

  /**
   * Books a validated order. Insufficient funds do not fail the call: as on Kite, the order gets
   * an id and is REJECTED in its history.
   */
  place(request: OrderRequest): KiteOrder {
    const now = this.#deps.clock();
    const seq = ++this.#orderSeq;
    const { fillDelayMs, fillSteps, hold, holdAfterFills } = this.#deps.fills();
    const required = request.quantity * referencePrice(request, this.#deps.prices);
    const available = this.#deps.margin.available;
    const funded = required <= available;
    if (funded) this.#deps.margin.block(required);
    const record: OrderRecord = {
      orderId: `${istDatePrefix(now)}${String(seq).padStart(9, "0")}`,
      exchangeOrderId: String(1_100_000_000_000_000 + seq),
      guid: `${seq}X${randomBytes(8).toString("hex")}`,
      placedBy: this.#deps.userId,
      placedAt: now,
      fillDelayMs,
      fillSteps,
      listedFrom: now + this.#deps.orderBookLagMs(),
      hold,
      holdAfterFills,
      request,
      history: [],
      trades: [],
      stage: "received",
      nextAt: now + fillDelayMs / 4,
      waiting: false,
      triggered: false,
      fillStep: 0,
      filledQuantity: 0,
      filledValue: 0,
      blockedMargin: funded ? required : 0,
      rejection: funded
        ? null
        : {
            message: MESSAGES.insufficientFunds(required, available),
            raw: MESSAGES.insufficientFundsRaw(required, available),
          },
      modified: false,
      exchangeTimestamp: null,
    };
    this.#orders.set(record.orderId, record);
    const first = pushState(record, "PUT ORDER REQ RECEIVED", now);
    this.#deps.onState(first);
    advanceOrder(record, now, this.#ctx);
    return first;
  }

  /** Advances every order to the current time (also used by the postback ticker). */
  advanceAll(): void {
    const now = this.#deps.clock();
    for (const record of this.#orders.values()) advanceOrder(record, now, this.#ctx);
  }

  /** The latest state of every order, in placement order. */
  latest(): KiteOrder[] {
    this.advanceAll();
    return [...this.#orders.values()].map(latestState);
  }

  /**
   * The day's order book as `GET /orders` shows it: like {@link OrderBook.latest}, without the
   * orders still within their order-book lag.
   */
  listed(): KiteOrder[] {
    return this.#listedRecords().map(latestState);
  }

  /** Fills as `GET /trades` shows them: those of the orders {@link OrderBook.listed} shows. */
  listedTrades(): KiteTrade[] {
    return this.#listedRecords().flatMap((record) => record.trades);
  }

  /** Every order with its history. */
  all(): EmulatedOrder[] {
    this.advanceAll();
    return [...this.#orders.values()].map((record) => ({
      ...latestState(record),
      history: [...record.history],
    }));
  }

  /** The states of one order, oldest first, or undefined for an unknown id. */
  history(orderId: string): KiteOrder[] | undefined {
    const record = this.#advanced(orderId);
    return record === undefined ? undefined : [...record.history];
  }

  /** Fills of one order, or undefined for an unknown id. */
  trades(orderId: string): KiteTrade[] | undefined {
    return this.#advanced(orderId)?.trades.slice();
  }

  /** Orders placed with fills held that have not been released and are not final. */
  heldCount(): number {
    this.advanceAll();
    let held = 0;
    for (const record of this.#orders.values()) if (record.hold && record.stage !== "done") held++;
    return held;
  }

  /**
   * Lets held orders go on: each fills from now at the usual pace (or waits for its price, as
   * any LIMIT order). Releases every held order, or only those in `orderIds`; unknown ids and
   * orders that are not held are skipped.
   * @returns the ids of the orders released, in placement order.
   */
  release(orderIds?: readonly string[]): string[] {
    const now = this.#deps.clock();
    const wanted = orderIds === undefined ? undefined : new Set(orderIds);
    const released: string[] = [];
    for (const record of this.#orders.values()) {
      if (wanted !== undefined && !wanted.has(record.orderId)) continue;
      advanceOrder(record, now, this.#ctx);
      if (!record.hold || record.stage === "done") continue;
      releaseHold(record, now, this.#ctx);
      released.push(record.orderId);
    }
    return released;
  }

  cancel(orderId: string): OrderActionResult {
    const record = this.#advanced(orderId);
    if (record === undefined) return { kind: "error", message: MESSAGES.unknownOrder };
    if (record.stage === "done") {
      return { kind: "error", message: MESSAGES.notCancellable(latestState(record).status) };
    }
    const now = this.#deps.clock();
    this.#deps.onState(pushState(record, "CANCEL PENDING", now));
    cancelRemaining(record, this.#ctx, now);
    return { kind: "ok", orderId };
  }

  modify(orderId: string, change: OrderModification): OrderActionResult {
    const record = this.#advanced(orderId);
    if (record === undefined) return { kind: "error", message: MESSAGES.unknownOrder };
    const status = latestState(record).status;
    const working = record.stage === "working" || record.stage === "amo";
    if (!working) return { kind: "error", message: MESSAGES.notModifiable(status) };
    const next = modified(record.request, change);
    const lot = next.instrument.lot_size;
    if (next.quantity < record.filledQuantity || next.quantity % lot !== 0) {
      return { kind: "error", message: MESSAGES.lotSize(lot) };
    }
    if ((next.order_type === "LIMIT" || next.order_type === "SL") && next.price <= 0) {
      return { kind: "error", message: MESSAGES.priceRequired };
    }
    const now = this.#deps.clock();
    // Re-block margin for the new size and price.
    this.#deps.margin.release(record.blockedMargin);
    record.blockedMargin = next.quantity * referencePrice(next, this.#deps.prices);
    this.#deps.margin.block(record.blockedMargin);
    record.request = next;
    record.modified = true;
    this.#deps.onState(pushState(record, "MODIFY VALIDATION PENDING", now));
    this.#deps.onState(pushState(record, "MODIFY PENDING", now));
    this.#deps.onState(pushState(record, status, now));
    record.nextAt = Math.min(record.nextAt, now);
    advanceOrder(record, now, this.#ctx);
    return { kind: "ok", orderId };
  }

  /** Forgets every order; ids keep counting. */
  clear(): void {
    this.#orders.clear();
  }

  #listedRecords(): OrderRecord[] {
    this.advanceAll();
    const now = this.#deps.clock();
    return [...this.#orders.values()].filter((record) => now >= record.listedFrom);
  }

  #advanced(orderId: string): OrderRecord | undefined {
    const record = this.#orders.get(orderId);
    if (record !== undefined) advanceOrder(record, this.#deps.clock(), this.#ctx);
    return record;
  }
}

/** Price used for the margin check: the limit, else the trigger, else the current price. */
function referencePrice(request: OrderRequest, prices: PriceBook): number {
  if (request.price > 0) return request.price;
  if (request.trigger_price > 0) return request.trigger_price;
  return prices.priceOf(request.instrument);
}

/** The order as a modification leaves it: each field changed or kept; no limit price at market. */
function modified(current: OrderRequest, change: OrderModification): OrderRequest {
  const order_type = change.order_type ?? current.order_type;
  return {
    ...current,
    order_type,
    quantity: change.quantity ?? current.quantity,
    price: order_type === "MARKET" || order_type === "SL-M" ? 0 : (change.price ?? current.price),
    trigger_price: change.trigger_price ?? current.trigger_price,
    validity: change.validity ?? current.validity,
    disclosed_quantity: change.disclosed_quantity ?? current.disclosed_quantity,
  };
}
