import type { MarketQuote } from "../events/market-tick-decoder.js";
import type {
  CancelOutcome,
  OrderQuery,
  OrderRef,
  OrderStatusBatch,
  OrderStatusReport,
} from "../orders/order-status-report.js";
import { isoNow } from "../ports/clock.js";
import {
  failedResult,
  type LastPrice,
  type SignalToExecute,
  type SubmitResult,
} from "../trading/execution-result.js";
import {
  SUBMIT_ONLY,
  type SubmitContext,
  type Trader,
  type TraderCapabilities,
  type TraderHealth,
} from "../trading/trader.js";
import { FakeClock } from "./fake-clock.js";
import { sampleQuote, sampleSignal } from "./sample-signals.js";
import { describeTraderConformance } from "./trader-conformance.js";

/** The lifecycle both tiny traders share: refuses when not running or aborted. */
abstract class TinyBase {
  abstract readonly executionMode: string;
  protected readonly clock = new FakeClock("2026-11-25T04:00:00Z");
  protected state: "new" | "ready" | "stopped" = "new";

  async initialize(): Promise<boolean> {
    if (this.state === "new") this.state = "ready";
    return this.state === "ready";
  }

  async shutdown(): Promise<void> {
    this.state = "stopped";
  }

  health(): TraderHealth {
    return this.state === "ready"
      ? { status: "ready" }
      : { status: "unavailable", reason: this.state };
  }

  /** A refusal for a signal this trader will not send, or null. */
  protected refusal(
    signal: SignalToExecute,
    lastPrice: LastPrice,
    context: SubmitContext,
  ): SubmitResult | null {
    const timestamp = isoNow(this.clock);
    const refuse = (code: "TRADER_UNAVAILABLE" | "NO_MARKET_PRICE", message: string) =>
      failedResult(signal, { namespace: this.executionMode, code, message, timestamp });
    if (this.state !== "ready") return refuse("TRADER_UNAVAILABLE", `trader is ${this.state}`);
    if (context.abort.aborted) return refuse("TRADER_UNAVAILABLE", "aborted before sending");
    if (lastPrice === null) return refuse("NO_MARKET_PRICE", "no tick seen for the instrument");
    if (signal.data.original_signal.signal_type === "HOLD")
      return refuse("NO_MARKET_PRICE", "nothing to do");
    return null;
  }
}

/** The smallest correct trader: fills at the last price at once, declares nothing more. */
class TinyTrader extends TinyBase implements Trader {
  readonly executionMode = "tiny";
  readonly capabilities = SUBMIT_ONLY;

  async executeOrder(
    signal: SignalToExecute,
    lastPrice: LastPrice,
    context: SubmitContext,
  ): Promise<SubmitResult> {
    const refused = this.refusal(signal, lastPrice, context);
    if (refused !== null || lastPrice === null) return refused as SubmitResult;
    const original = signal.data.original_signal;
    const side = original.signal_type === "SELL" ? "SELL" : "BUY";
    return {
      kind: "filled",
      payload: {
        order_id: context.clientOrderId,
        instrument_token: original.instrument_token,
        quantity: signal.data.validated_quantity,
        fill_price: lastPrice.lastPrice,
        timestamp: isoNow(this.clock),
        broker: this.executionMode,
        side,
        strategy_id: original.strategy_id,
        signal_type: original.signal_type,
        execution_mode: this.executionMode,
        fees: null,
      },
    };
  }
}

/**
 * A tiny broker: accepts orders (`placed`), fills a marketable one on the second look, leaves a
 * LIMIT order priced away from the quote working, and cancels on request. Declares everything.
 */
class TinyBroker extends TinyBase implements Trader {
  readonly executionMode = "tinybroker";
  readonly capabilities: TraderCapabilities = {
    followsOrders: true,
    queryByClientOrderId: true,
    batchStatusReports: true,
    cancel: true,
    orderVisibilityMs: 0,
    statusPollIntervalMs: 10,
  };
  readonly #orders = new Map<string, OrderStatusReport & { looks: number; resting: boolean }>();

  async executeOrder(
    signal: SignalToExecute,
    lastPrice: LastPrice,
    context: SubmitContext,
  ): Promise<SubmitResult> {
    const refused = this.refusal(signal, lastPrice, context);
    if (refused !== null || lastPrice === null) return refused as SubmitResult;
    const original = signal.data.original_signal;
    const limit = signal.data.validated_price;
    // One order per client order id: a second submission is answered with the first order.
    const known = this.#orders.get(context.clientOrderId);
    const orderId = known?.orderId ?? `tb_${this.#orders.size + 1}`;
    if (known === undefined)
      this.#orders.set(context.clientOrderId, {
        clientOrderId: context.clientOrderId,
        orderId,
        status: "accepted",
        quantity: signal.data.validated_quantity,
        filledQuantity: 0,
        averagePrice: null,
        limitPrice: limit,
        updatedAt: isoNow(this.clock),
        message: null,
        fees: null,
        looks: 0,
        resting: limit !== null && original.signal_type === "BUY" && limit < lastPrice.lastPrice,
      });
    return {
      kind: "placed",
      payload: {
        order_id: orderId,
        instrument_token: original.instrument_token,
        signal_type: original.signal_type,
        quantity: signal.data.validated_quantity,
        price: limit,
        timestamp: isoNow(this.clock),
        broker: this.executionMode,
        status: "PLACED",
        strategy_id: original.strategy_id,
        execution_mode: this.executionMode,
      },
    };
  }

  async queryOrder(ref: OrderRef): Promise<OrderQuery> {
    const report = this.#look(ref);
    return report === null ? { kind: "absent" } : { kind: "found", report };
  }

  async orderStatusReports(refs: readonly OrderRef[]): Promise<OrderStatusBatch> {
    const reports = refs.map((ref) => this.#look(ref)).filter((r) => r !== null);
    return { kind: "ok", reports };
  }

  async cancelOrder(ref: OrderRef): Promise<CancelOutcome> {
    const order = this.#orders.get(ref.clientOrderId);
    if (order === undefined) return { kind: "failed", reason: "no such order", retryable: false };
    if (order.status !== "accepted")
      return { kind: "too_late", reason: `order is ${order.status}` };
    order.status = "cancelled";
    return { kind: "requested" };
  }

  #look(ref: OrderRef): OrderStatusReport | null {
    const order = this.#orders.get(ref.clientOrderId);
    if (order === undefined || (ref.orderId !== null && ref.orderId !== order.orderId)) return null;
    order.looks += 1;
    if (order.status === "accepted" && !order.resting && order.looks >= 2) {
      order.status = "filled";
      order.filledQuantity = order.quantity;
      order.averagePrice = order.limitPrice ?? 100;
    }
    const { looks: _looks, resting: _resting, ...report } = order;
    return { ...report };
  }
}

describeTraderConformance({ namespace: "tiny", create: () => new TinyTrader() });

describeTraderConformance({
  namespace: "tinybroker",
  live: true,
  create: () => new TinyBroker(),
  restingOrder: (id) => ({
    signal: sampleSignal({ id, validatedPrice: 2400 }),
    quote: sampleQuote({ lastPrice: 2500 }) satisfies MarketQuote,
  }),
});
