import {
  type CancelOutcome,
  type Clock,
  errorMessage,
  failedResult,
  isoNow,
  type KnownErrorCode,
  type LastPrice,
  type Logger,
  type MarketDataPort,
  type MarketQuote,
  type OrderQuery,
  type OrderRef,
  type OrderStatusBatch,
  type SignalToExecute,
  type SqlPort,
  type SubmitContext,
  type SubmitResult,
  silentLogger,
  systemClock,
  type Trader,
  type TraderCapabilities,
  type TraderHealth,
} from "@engine/core";
import type { FeeModel } from "./fees/fee-model.js";
import { FlatPercentFeeModel } from "./fees/flat-percent-fee-model.js";
import { matchPrice } from "./fill-rule.js";
import { limitPriceOf } from "./limit-price.js";
import {
  clientOrderIdOf,
  type PaperOrder,
  type PaperOrderStatus,
  type PaperOrderType,
  paperOrderId,
  paperOrderReport,
} from "./paper-order.js";
import { PaperOrderBook } from "./paper-order-book.js";
import { ENDED_ORDER_RETENTION_MS, PaperOrderRepository } from "./paper-order-repository.js";
import { seededUnit } from "./signal-hash.js";

/** How a {@link PaperTrader} fills; every option has a default, so `{}` is a working trader. */
export interface PaperTraderOptions {
  /** The namespace it executes for; `paper`, or a live namespace simulated in shadow mode. */
  namespace?: string;
  /** `MARKET` (default): fills at once at the touch. `LIMIT`: at the signal's price or better. */
  orderType?: PaperOrderType;
  slippageBps?: number;
  /** Up to this many extra basis points, drawn per signal from the seed; 0 is deterministic. */
  randomSpreadBps?: number;
  randomSeed?: string;
  tickSize?: number;
  feeModel?: FeeModel;
  clock?: Clock;
  logger?: Logger;
  /** Where resting orders meet later quotes; without it an order that rests fills never. */
  marketData?: MarketDataPort;
  /** Where orders are kept across restarts; without it they live in memory only. */
  sql?: SqlPort;
  /** Called when an order filled on a later quote, so the engine asks for reports at once. */
  ordersChanged?: () => void;
}

/** Paper answers from memory: the engine may ask often, and sees an order as soon as it exists. */
const PAPER_CAPABILITIES: TraderCapabilities = Object.freeze({
  followsOrders: true,
  queryByClientOrderId: true,
  batchStatusReports: true,
  cancel: true,
  orderVisibilityMs: 0,
  statusPollIntervalMs: 100,
});

/**
 * Simulated execution. A market order fills at once at the touch (the best ask for a BUY, the
 * best bid for a SELL, or the last price when the tick carried no depth) moved against the trader
 * by the slippage. A LIMIT order (`orderType: "LIMIT"`) fills at once only when the touch is at
 * or better than its limit, else it rests until a later quote reaches it or the engine cancels
 * it. Never invents a price: a market order without a last price fails.
 *
 * The order id is the engine's client order id. Resting orders, and orders that ended after
 * resting, are kept in the engine's database when given one (`paper_orders`), so a restarted
 * engine finds them; orders that filled at once are kept in memory only (the engine has their
 * result, or submits again after a restart and gets a new fill).
 */
export class PaperTrader implements Trader {
  readonly executionMode: string;
  readonly capabilities = PAPER_CAPABILITIES;
  readonly #orderType: PaperOrderType;
  readonly #slippageBps: number;
  readonly #randomSpreadBps: number;
  readonly #randomSeed: string;
  readonly #tickSize: number;
  readonly #feeModel: FeeModel;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #marketData: MarketDataPort | undefined;
  readonly #ordersChanged: (() => void) | undefined;
  readonly #book = new PaperOrderBook();
  readonly #repository: PaperOrderRepository | null;
  #starting: Promise<boolean> | undefined;
  #ready = false;
  #unsubscribe: (() => void) | undefined;

  constructor(options: PaperTraderOptions = {}) {
    this.executionMode = options.namespace ?? "paper";
    this.#orderType = options.orderType ?? "MARKET";
    this.#slippageBps = options.slippageBps ?? 0;
    this.#randomSpreadBps = options.randomSpreadBps ?? 0;
    this.#randomSeed = options.randomSeed ?? "paper";
    this.#tickSize = options.tickSize ?? 0.05;
    this.#feeModel = options.feeModel ?? new FlatPercentFeeModel();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#marketData = options.marketData;
    this.#ordersChanged = options.ordersChanged;
    this.#repository =
      options.sql === undefined
        ? null
        : new PaperOrderRepository({
            sql: options.sql,
            namespace: this.executionMode,
            logger: this.#logger,
            clock: this.#clock,
            onSuperseded: (stored) => this.#superseded(stored),
          });
  }

  initialize(): Promise<boolean> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<boolean> {
    try {
      if (this.#repository !== null) {
        await this.#repository.createSchema();
        await this.#repository.prune(this.#clock.now() - ENDED_ORDER_RETENTION_MS);
        for (const order of await this.#repository.loadResting()) this.#adopt(order);
      }
    } catch (error) {
      this.#logger.error({ err: errorMessage(error) }, "paper trader cannot read its orders");
      this.#starting = undefined;
      return false;
    }
    this.#unsubscribe = this.#marketData?.subscribe(this.#onQuote);
    this.#ready = true;
    this.#logger.info(
      {
        fee_model: this.#feeModel.name,
        order_type: this.#orderType,
        resting_orders: this.#book.restingCount,
        persistent: this.#repository !== null,
      },
      "paper trader ready",
    );
    return true;
  }

  async shutdown(): Promise<void> {
    await this.#starting;
    this.#ready = false;
    this.#starting = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#persist().catch((error: unknown) => {
      this.#logger.warn({ err: errorMessage(error) }, "paper orders not stored at shutdown");
    });
  }

  health(): TraderHealth {
    return this.#ready
      ? { status: "ready" }
      : { status: "unavailable", reason: "paper trader is not initialised" };
  }

  async executeOrder(
    signal: SignalToExecute,
    lastPrice: LastPrice,
    context: SubmitContext,
  ): Promise<SubmitResult> {
    const original = signal.data.original_signal;
    const side = original.signal_type;
    if (!this.#ready)
      return this.#fail(signal, "TRADER_UNAVAILABLE", "paper trader is not initialised");
    if (context.abort.aborted) {
      return this.#fail(signal, "TRADER_UNAVAILABLE", "the engine withdrew the submission");
    }
    if (side === "HOLD")
      return this.#fail(signal, "INVALID_SIGNAL", "a HOLD signal places no order");
    const quantity = signal.data.validated_quantity;
    if (quantity <= 0) return this.#fail(signal, "INVALID_QUANTITY", "validated quantity is 0");
    // One order per client order id: a second submission answers with the first order.
    const known = this.#book.get(context.clientOrderId);
    if (known !== undefined) return this.#answer(signal, known);

    const quote =
      lastPrice !== null && lastPrice.instrumentToken === original.instrument_token
        ? lastPrice
        : null;
    let limitPrice: number | null = null;
    if (this.#orderType === "LIMIT") {
      const limit = limitPriceOf(signal, this.#tickSize);
      if (!limit.ok) return this.#fail(signal, "INVALID_SIGNAL", limit.message);
      limitPrice = limit.price;
    } else if (quote === null) {
      return this.#fail(
        signal,
        "NO_MARKET_PRICE",
        `no market price seen for instrument ${original.instrument_token}`,
      );
    }
    const extraBps =
      this.#randomSpreadBps === 0
        ? 0
        : seededUnit(this.#randomSeed, this.executionMode, signal.id) * this.#randomSpreadBps;
    const now = this.#clock.now();
    const order: PaperOrder = {
      clientOrderId: context.clientOrderId,
      instrumentToken: original.instrument_token,
      side,
      quantity,
      limitPrice,
      slippageBps: this.#slippageBps + extraBps,
      status: "accepted",
      averagePrice: null,
      fees: null,
      createdAt: now,
      updatedAt: now,
      message: null,
    };
    const price = quote === null ? null : this.#matchPrice(order, quote);
    if (price !== null) {
      this.#fill(order, price);
      this.#book.add(order);
      return this.#answer(signal, order);
    }
    this.#book.add(order);
    this.#repository?.save(order);
    try {
      await this.#persist();
    } catch (error) {
      // It rests in memory and is written at the next flush; the engine asks before it concludes.
      return { kind: "unknown", reason: `paper order not stored: ${errorMessage(error)}` };
    }
    return this.#answer(signal, order);
  }

  async queryOrder(ref: OrderRef): Promise<OrderQuery> {
    if (!this.#ready) return { kind: "unknown", reason: "paper trader is not initialised" };
    try {
      await this.#persist();
      const [order] = await this.#lookup([ref]);
      return order === undefined
        ? { kind: "absent" }
        : { kind: "found", report: paperOrderReport(order) };
    } catch (error) {
      return { kind: "unknown", reason: `paper orders unavailable: ${errorMessage(error)}` };
    }
  }

  async orderStatusReports(refs: readonly OrderRef[]): Promise<OrderStatusBatch> {
    if (!this.#ready) return { kind: "unavailable", reason: "paper trader is not initialised" };
    try {
      await this.#persist();
      const orders = await this.#lookup(refs);
      return { kind: "ok", reports: orders.map(paperOrderReport) };
    } catch (error) {
      return { kind: "unavailable", reason: `paper orders unavailable: ${errorMessage(error)}` };
    }
  }

  async cancelOrder(ref: OrderRef): Promise<CancelOutcome> {
    if (!this.#ready) {
      return { kind: "failed", reason: "paper trader is not initialised", retryable: true };
    }
    let order: PaperOrder | undefined;
    try {
      [order] = await this.#lookup([ref]);
    } catch (error) {
      const reason = `paper orders unavailable: ${errorMessage(error)}`;
      return { kind: "failed", reason, retryable: true };
    }
    if (order === undefined) {
      const reason = `no paper order ${ref.clientOrderId}`;
      return { kind: "failed", reason, retryable: false };
    }
    if (order.status !== "accepted") return { kind: "too_late", reason: `already ${order.status}` };
    order.status = "cancelled";
    order.updatedAt = this.#clock.now();
    order.message = "cancelled at the engine's request";
    this.#book.ended(order);
    this.#repository?.save(order);
    try {
      await this.#persist();
    } catch (error) {
      if (order.status === "cancelled") {
        // Not recorded: the order rests again, and the engine may ask again.
        order.status = "accepted";
        order.message = null;
        this.#book.reopened(order);
      }
      const reason = `paper cancel not stored: ${errorMessage(error)}`;
      return { kind: "failed", reason, retryable: true };
    }
    // Another engine instance sharing the database may have filled it first (the write above
    // then changed it: TypeScript cannot see that).
    return (order.status as PaperOrderStatus) === "filled"
      ? { kind: "too_late", reason: "already filled" }
      : { kind: "requested" };
  }

  /** The tick path: one map lookup for an instrument with no resting order. */
  readonly #onQuote = (quote: MarketQuote): void => {
    const resting = this.#book.restingAt(quote.instrumentToken);
    if (resting === undefined) return;
    let filled: PaperOrder[] | undefined;
    for (const order of resting) {
      const price = this.#matchPrice(order, quote);
      if (price === null) continue;
      this.#fill(order, price);
      filled ??= [];
      filled.push(order);
    }
    if (filled === undefined) return;
    for (const order of filled) {
      this.#book.ended(order);
      this.#repository?.save(order);
    }
    this.#persist().then(
      () => this.#ordersChanged?.(),
      (error: unknown) => {
        // Stored at the next flush; every query flushes first, so the engine learns it then.
        this.#logger.warn({ err: errorMessage(error) }, "paper fill not stored yet");
      },
    );
  };

  #matchPrice(order: PaperOrder, quote: MarketQuote): number | null {
    return matchPrice({
      side: order.side,
      quote,
      limitPrice: order.limitPrice,
      slippageBps: order.slippageBps,
      tickSize: this.#tickSize,
    });
  }

  #fill(order: PaperOrder, price: number): void {
    order.status = "filled";
    order.averagePrice = price;
    order.fees = this.#feeModel.feesFor({ side: order.side, quantity: order.quantity, price });
    order.updatedAt = this.#clock.now();
  }

  /** Known orders for these refs (by client order id, else order id), from memory, else stored. */
  async #lookup(refs: readonly OrderRef[]): Promise<PaperOrder[]> {
    const found: PaperOrder[] = [];
    const missing: string[] = [];
    for (const ref of refs) {
      const byOrderId = ref.orderId === null ? null : clientOrderIdOf(ref.orderId);
      const order =
        this.#book.get(ref.clientOrderId) ??
        (byOrderId === null ? undefined : this.#book.get(byOrderId));
      if (order !== undefined) found.push(order);
      else missing.push(ref.clientOrderId, ...(byOrderId === null ? [] : [byOrderId]));
    }
    if (missing.length === 0 || this.#repository === null) return found;
    for (const stored of await this.#repository.find(missing)) found.push(this.#adopt(stored));
    return found;
  }

  /**
   * Takes an order read from the database into the book (a resting one is then simulated here:
   * its engine instance may be gone). An order already known stays as known.
   */
  #adopt(stored: PaperOrder): PaperOrder {
    const known = this.#book.get(stored.clientOrderId);
    if (known !== undefined) return known;
    this.#book.add(stored);
    return stored;
  }

  /** The database holds a final state this instance did not know: it stands. */
  #superseded(stored: PaperOrder): void {
    const known = this.#book.get(stored.clientOrderId);
    if (known === undefined) {
      this.#book.add(stored);
      return;
    }
    const wasResting = known.status === "accepted";
    Object.assign(known, stored);
    if (wasResting && known.status !== "accepted") this.#book.ended(known);
  }

  #persist(): Promise<void> {
    return this.#repository?.flush() ?? Promise.resolve();
  }

  /** What the engine is told of an order: placed while it rests (or was cancelled), or filled. */
  #answer(signal: SignalToExecute, order: PaperOrder): SubmitResult {
    const original = signal.data.original_signal;
    const common = {
      order_id: paperOrderId(order.clientOrderId),
      instrument_token: order.instrumentToken,
      broker: this.executionMode,
      strategy_id: original.strategy_id,
      signal_type: original.signal_type,
      execution_mode: this.executionMode,
    };
    if (order.status === "filled" && order.averagePrice !== null) {
      return {
        kind: "filled",
        payload: {
          ...common,
          quantity: order.quantity,
          fill_price: order.averagePrice,
          timestamp: new Date(order.updatedAt).toISOString(),
          side: order.side,
          fees: order.fees,
        },
      };
    }
    return {
      kind: "placed",
      payload: {
        ...common,
        quantity: order.quantity,
        price: order.limitPrice,
        timestamp: new Date(order.createdAt).toISOString(),
        status: "PLACED",
      },
    };
  }

  #fail(signal: SignalToExecute, code: KnownErrorCode, message: string): SubmitResult {
    return failedResult(signal, {
      namespace: this.executionMode,
      code,
      message,
      timestamp: isoNow(this.#clock),
    });
  }
}
