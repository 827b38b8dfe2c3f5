import { afterEach, describe, expect, it } from "vitest";
import type { MarketQuote } from "../events/market-tick-decoder.js";
import { clientOrderId } from "../orders/client-order-id.js";
import {
  FINAL_BROKER_STATUSES,
  type OrderRef,
  OrderStatusReportSchema,
} from "../orders/order-status-report.js";
import {
  type SignalToExecute,
  type SubmitResult,
  SubmitResultSchema,
} from "../trading/execution-result.js";
import type { SubmitContext, Trader } from "../trading/trader.js";
import { assertLiveCapable, traderOperations } from "../trading/trader-capabilities.js";
import { sampleQuote, sampleSignal } from "./sample-signals.js";

/** How the conformance kit builds and drives the trader under test. */
export interface TraderConformanceOptions {
  /** The namespace of the plugin that builds the trader. */
  namespace: string;
  /** Whether the plugin is live (places real orders): it must then resolve ambiguity. */
  live?: boolean;
  /** Builds a fresh trader, not yet initialised. */
  create: () => Trader | Promise<Trader>;
  /** A signal the trader can execute; defaults to `sampleSignal()`. */
  signal?: (overrides: { signalType: "BUY" | "SELL"; id: string }) => SignalToExecute;
  /** The quote passed with it; defaults to `sampleQuote()`. */
  quote?: MarketQuote | null;
  /**
   * A signal (and quote) the trader accepts but leaves working at its broker (a LIMIT order away
   * from the market, a held order at an emulator), to exercise `cancel` and status reports of an
   * open order. Required when the trader declares `cancel`.
   */
  restingOrder?: (id: string) => { signal: SignalToExecute; quote: MarketQuote | null };
  /** How long a status query may take to show what a submission did (default 10 s). */
  settleTimeoutMs?: number;
}

const POLL_MS = 25;

/** The context of one submission in the kit: the core's client order id, an abort not fired. */
export function submitContext(signal: SignalToExecute, namespace: string): SubmitContext {
  return {
    clientOrderId: clientOrderId(signal.id, namespace),
    abort: new AbortController().signal,
  };
}

/**
 * The `Trader` contract as a vitest suite. A broker package calls it from its own tests with a
 * factory for its trader; passing it is what makes a trader pluggable. Every capability the
 * trader declares is exercised; a live trader must declare what resolving an ambiguous
 * submission needs.
 */
export function describeTraderConformance(options: TraderConformanceOptions): void {
  const makeSignal =
    options.signal ??
    ((overrides: { signalType: "BUY" | "SELL"; id: string }) => sampleSignal(overrides));
  const quote = options.quote === undefined ? sampleQuote() : options.quote;
  const settleMs = options.settleTimeoutMs ?? 10_000;
  const live: Trader[] = [];

  async function fresh(): Promise<Trader> {
    const trader = await options.create();
    live.push(trader);
    return trader;
  }

  async function ready(): Promise<Trader> {
    const trader = await fresh();
    expect(await trader.initialize()).toBe(true);
    return trader;
  }

  function execute(trader: Trader, signal: SignalToExecute, price = quote): Promise<SubmitResult> {
    return trader.executeOrder(signal, price, submitContext(signal, options.namespace));
  }

  function expectContractResult(result: SubmitResult, signal: SignalToExecute): void {
    const parsed = SubmitResultSchema.safeParse(result);
    expect(parsed.error?.issues ?? []).toEqual([]);
    if (result.kind === "unknown") return;
    expect(result.payload.execution_mode).toBe(options.namespace);
    expect(result.payload.broker).toBe(options.namespace);
    expect(result.payload.strategy_id).toBe(signal.data.original_signal.strategy_id);
    expect(result.payload.instrument_token).toBe(signal.data.original_signal.instrument_token);
    if (result.kind !== "failed")
      expect(result.payload.quantity).toBe(signal.data.validated_quantity);
  }

  /** Asks until the answer satisfies `done`, or fails with the last answer. */
  async function until<T>(ask: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
    const deadline = Date.now() + settleMs;
    let last = await ask();
    while (!done(last) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      last = await ask();
    }
    expect(done(last), `last answer: ${JSON.stringify(last)}`).toBe(true);
    return last;
  }

  describe(`Trader conformance: ${options.namespace}`, () => {
    afterEach(async () => {
      await Promise.all(live.splice(0).map((trader) => trader.shutdown()));
    });

    it("reports the plugin namespace as its execution mode", async () => {
      expect((await fresh()).executionMode).toBe(options.namespace);
    });

    it("declares capabilities it implements", async () => {
      const trader = await fresh();
      expect(() => traderOperations(trader)).not.toThrow();
      if (options.live) expect(() => assertLiveCapable(trader)).not.toThrow();
      if (trader.capabilities.cancel) expect(options.restingOrder).toBeDefined();
    });

    it("initialises idempotently", async () => {
      const trader = await fresh();
      expect(await trader.initialize()).toBe(true);
      expect(await trader.initialize()).toBe(true);
      expect(trader.health()).toEqual({ status: "ready" });
    });

    it("shuts down idempotently, even before initialising", async () => {
      const never = await fresh();
      await expect(never.shutdown()).resolves.toBeUndefined();
      const trader = await ready();
      await expect(trader.shutdown()).resolves.toBeUndefined();
      await expect(trader.shutdown()).resolves.toBeUndefined();
    });

    it("answers a signal before initialise with a failed result, not a throw", async () => {
      const trader = await fresh();
      const signal = makeSignal({ signalType: "BUY", id: "conformance-before-init" });
      const result = await execute(trader, signal);
      expect(result.kind).toBe("failed");
      expectContractResult(result, signal);
    });

    it("answers a signal after shutdown with a failed result, not a throw", async () => {
      const trader = await ready();
      await trader.shutdown();
      const signal = makeSignal({ signalType: "SELL", id: "conformance-after-shutdown" });
      const result = await execute(trader, signal);
      expect(result.kind).toBe("failed");
      expectContractResult(result, signal);
    });

    it("sends nothing once the engine aborted the submission", async () => {
      const trader = await ready();
      const signal = makeSignal({ signalType: "BUY", id: "conformance-aborted" });
      const abort = new AbortController();
      abort.abort();
      const context = {
        clientOrderId: clientOrderId(signal.id, options.namespace),
        abort: abort.signal,
      };
      const result = await trader.executeOrder(signal, quote, context);
      expect(result.kind).toBe("failed");
      expectContractResult(result, signal);
      const ops = traderOperations(trader);
      if (ops.queryOrder) {
        expect(
          await ops.queryOrder({ clientOrderId: context.clientOrderId, orderId: null }),
        ).toEqual({ kind: "absent" });
      }
    });

    it.each(["BUY", "SELL"] as const)(
      "executes a %s signal into a contract result",
      async (side) => {
        const trader = await ready();
        const signal = makeSignal({ signalType: side, id: `conformance-${side.toLowerCase()}` });
        const result = await execute(trader, signal);
        expectContractResult(result, signal);
        expect(result.kind).not.toBe("unknown");
        if (result.kind === "filled") expect(result.payload.side).toBe(side);
        if (result.kind === "placed") expect(trader.capabilities.followsOrders).toBe(true);
      },
    );

    it("places one order for two submissions of one client order id at once", async () => {
      const trader = await ready();
      const signal = makeSignal({ signalType: "BUY", id: "conformance-twice-at-once" });
      // One context: the engine's redelivery racing a takeover submits the same order twice.
      const context = submitContext(signal, options.namespace);
      const [first, second] = await Promise.all([
        trader.executeOrder(signal, quote, context),
        trader.executeOrder(signal, quote, context),
      ]);
      expectContractResult(first, signal);
      expectContractResult(second, signal);
      if (first.kind === "unknown" || first.kind === "failed") return;
      expect(second.kind === "placed" || second.kind === "filled").toBe(true);
      if (second.kind !== "placed" && second.kind !== "filled") return;
      // Two placements would come back with two broker order ids.
      expect(second.payload.order_id).toBe(first.payload.order_id);
    });

    it("answers a signal without a last price with a contract result", async () => {
      const trader = await ready();
      const signal = makeSignal({ signalType: "BUY", id: "conformance-no-price" });
      expectContractResult(await execute(trader, signal, null), signal);
    });

    it("finds an order by its client order id, and knows none it was never sent", async () => {
      const trader = await ready();
      const ops = traderOperations(trader);
      // Not declared: nothing to exercise, and nothing the engine will call.
      if (!ops.queryOrder) return expect(trader.capabilities.queryByClientOrderId).toBe(false);
      const query = ops.queryOrder;
      const never = {
        clientOrderId: clientOrderId("conformance-never-sent", options.namespace),
        orderId: null,
      };
      expect(await query(never)).toEqual({ kind: "absent" });

      const signal = makeSignal({ signalType: "BUY", id: "conformance-query" });
      const result = await execute(trader, signal);
      expect(["placed", "filled"]).toContain(result.kind);
      if (result.kind !== "placed" && result.kind !== "filled") return;
      const ref: OrderRef = {
        clientOrderId: clientOrderId(signal.id, options.namespace),
        orderId: null,
      };
      const found = await until(
        () => query(ref),
        (answer) => answer.kind === "found",
      );
      if (found.kind !== "found") return;
      expect(OrderStatusReportSchema.parse(found.report)).toEqual(found.report);
      expect(found.report.clientOrderId).toBe(ref.clientOrderId);
      expect(found.report.orderId).toBe(result.payload.order_id);
      expect(found.report.quantity).toBe(signal.data.validated_quantity);
      // By the broker's id too, once known.
      const byId = await query({ ...ref, orderId: result.payload.order_id });
      expect(byId.kind).toBe("found");
    });

    it("follows a placed order to its end through status reports", async () => {
      const trader = await ready();
      const ops = traderOperations(trader);
      if (!trader.capabilities.followsOrders || !ops.queryOrder) {
        return expect(trader.capabilities.followsOrders).toBe(false);
      }
      const query = ops.queryOrder;
      const signal = makeSignal({ signalType: "SELL", id: "conformance-follow" });
      const result = await execute(trader, signal);
      if (result.kind !== "placed") return;
      const ref = {
        clientOrderId: clientOrderId(signal.id, options.namespace),
        orderId: result.payload.order_id,
      };
      const end = await until(
        () => query(ref),
        (answer) => answer.kind === "found" && FINAL_BROKER_STATUSES.has(answer.report.status),
      );
      if (end.kind !== "found") return;
      expect(end.report.filledQuantity).toBeLessThanOrEqual(end.report.quantity);
      if (end.report.status === "filled") {
        expect(end.report.filledQuantity).toBe(signal.data.validated_quantity);
        expect(end.report.averagePrice).not.toBeNull();
      }
    });

    it("reports many orders at once, leaving out those it does not have", async () => {
      const trader = await ready();
      const ops = traderOperations(trader);
      if (!ops.orderStatusReports)
        return expect(trader.capabilities.batchStatusReports).toBe(false);
      const signals = [0, 1].map((n) =>
        makeSignal({ signalType: "BUY", id: `conformance-batch-${n}` }),
      );
      const refs: OrderRef[] = [];
      for (const signal of signals) {
        const result = await execute(trader, signal);
        expect(["placed", "filled"]).toContain(result.kind);
        refs.push({ clientOrderId: clientOrderId(signal.id, options.namespace), orderId: null });
      }
      const stranger = {
        clientOrderId: clientOrderId("conformance-stranger", options.namespace),
        orderId: null,
      };
      const reports = ops.orderStatusReports;
      const batch = await until(
        () => reports([...refs, stranger]),
        (answer) => {
          expect(answer.kind).toBe("ok");
          const seen = new Set(
            answer.kind === "ok" ? answer.reports.map((report) => report.clientOrderId) : [],
          );
          expect(seen.has(stranger.clientOrderId)).toBe(false);
          return refs.every((ref) => seen.has(ref.clientOrderId));
        },
      );
      expect(batch.kind === "ok" && batch.reports.length, "every submitted order reported").toBe(
        refs.length,
      );
      if (batch.kind === "ok") {
        for (const report of batch.reports) OrderStatusReportSchema.parse(report);
      }
    });

    it("cancels a resting order, which then ends cancelled", async () => {
      const trader = await ready();
      const ops = traderOperations(trader);
      if (!ops.cancelOrder || !ops.queryOrder || !options.restingOrder) {
        return expect(trader.capabilities.cancel).toBe(false);
      }
      const { signal, quote: restingQuote } = options.restingOrder("conformance-cancel");
      const result = await execute(trader, signal, restingQuote);
      expect(result.kind).toBe("placed");
      if (result.kind !== "placed") return;
      const ref = {
        clientOrderId: clientOrderId(signal.id, options.namespace),
        orderId: result.payload.order_id,
      };
      expect(await ops.cancelOrder(ref)).toEqual({ kind: "requested" });
      const end = await until(
        () => ops.queryOrder?.(ref) ?? Promise.resolve({ kind: "absent" } as const),
        (answer) => answer.kind === "found" && FINAL_BROKER_STATUSES.has(answer.report.status),
      );
      if (end.kind === "found") expect(end.report.status).toBe("cancelled");
      const again = await ops.cancelOrder(ref);
      expect(again.kind).not.toBe("requested");
    });
  });
}
