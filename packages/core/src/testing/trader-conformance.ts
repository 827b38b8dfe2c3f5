import { afterEach, describe, expect, it } from "vitest";
import type { MarketQuote } from "../events/market-tick-decoder.js";
import {
  type ExecutionResult,
  ExecutionResultSchema,
  type SignalToExecute,
} from "../trading/execution-result.js";
import type { Trader } from "../trading/trader.js";
import { sampleQuote, sampleSignal } from "./sample-signals.js";

export interface TraderConformanceOptions {
  /** The namespace of the plugin that builds the trader. */
  namespace: string;
  /** Builds a fresh trader, not yet initialised. */
  create: () => Trader | Promise<Trader>;
  /** A signal the trader can execute; defaults to `sampleSignal()`. */
  signal?: (overrides: { signalType: "BUY" | "SELL"; id: string }) => SignalToExecute;
  /** The quote passed with it; defaults to `sampleQuote()`. */
  quote?: MarketQuote | null;
}

/**
 * The `Trader` contract as a vitest suite. A broker package calls it from its own tests with a
 * factory for its trader; passing it is what makes a trader pluggable.
 */
export function describeTraderConformance(options: TraderConformanceOptions): void {
  const makeSignal =
    options.signal ??
    ((overrides: { signalType: "BUY" | "SELL"; id: string }) => sampleSignal(overrides));
  const quote = options.quote === undefined ? sampleQuote() : options.quote;
  const live: Trader[] = [];

  async function fresh(): Promise<Trader> {
    const trader = await options.create();
    live.push(trader);
    return trader;
  }

  function expectContractResult(result: ExecutionResult, signal: SignalToExecute): void {
    const parsed = ExecutionResultSchema.safeParse(result);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(result.payload.execution_mode).toBe(options.namespace);
    expect(result.payload.broker).toBe(options.namespace);
    expect(result.payload.strategy_id).toBe(signal.data.original_signal.strategy_id);
    expect(result.payload.instrument_token).toBe(signal.data.original_signal.instrument_token);
    if (result.kind !== "failed")
      expect(result.payload.quantity).toBe(signal.data.validated_quantity);
  }

  describe(`Trader conformance: ${options.namespace}`, () => {
    afterEach(async () => {
      await Promise.all(live.splice(0).map((trader) => trader.shutdown()));
    });

    it("reports the plugin namespace as its execution mode", async () => {
      expect((await fresh()).executionMode).toBe(options.namespace);
    });

    it("initialises idempotently", async () => {
      const trader = await fresh();
      expect(await trader.initialize()).toBe(true);
      expect(await trader.initialize()).toBe(true);
    });

    it("shuts down idempotently, even before initialising", async () => {
      const never = await fresh();
      await expect(never.shutdown()).resolves.toBeUndefined();
      const trader = await fresh();
      await trader.initialize();
      await expect(trader.shutdown()).resolves.toBeUndefined();
      await expect(trader.shutdown()).resolves.toBeUndefined();
    });

    it("answers a signal before initialise with a failed result, not a throw", async () => {
      const trader = await fresh();
      const signal = makeSignal({ signalType: "BUY", id: "conformance-before-init" });
      const result = await trader.executeOrder(signal, quote);
      expect(result.kind).toBe("failed");
      expectContractResult(result, signal);
    });

    it("answers a signal after shutdown with a failed result, not a throw", async () => {
      const trader = await fresh();
      await trader.initialize();
      await trader.shutdown();
      const signal = makeSignal({ signalType: "SELL", id: "conformance-after-shutdown" });
      const result = await trader.executeOrder(signal, quote);
      expect(result.kind).toBe("failed");
      expectContractResult(result, signal);
    });

    it.each(["BUY", "SELL"] as const)(
      "executes a %s signal into a contract result",
      async (side) => {
        const trader = await fresh();
        await trader.initialize();
        const signal = makeSignal({ signalType: side, id: `conformance-${side.toLowerCase()}` });
        const result = await trader.executeOrder(signal, quote);
        expectContractResult(result, signal);
        if (result.kind === "filled") expect(result.payload.side).toBe(side);
      },
    );

    it("answers a signal without a last price with a contract result", async () => {
      const trader = await fresh();
      await trader.initialize();
      const signal = makeSignal({ signalType: "BUY", id: "conformance-no-price" });
      expectContractResult(await trader.executeOrder(signal, null), signal);
    });
  });
}
