import { isoNow } from "../ports/clock.js";
import {
  type ExecutionResult,
  failedResult,
  type LastPrice,
  type SignalToExecute,
} from "../trading/execution-result.js";
import type { Trader } from "../trading/trader.js";
import { FakeClock } from "./fake-clock.js";
import { describeTraderConformance } from "./trader-conformance.js";

/** The smallest correct trader: fills at the last price, refuses when not running. */
class TinyTrader implements Trader {
  readonly executionMode = "tiny";
  readonly #clock = new FakeClock("2026-11-25T04:00:00Z");
  #state: "new" | "ready" | "stopped" = "new";

  async initialize(): Promise<boolean> {
    if (this.#state === "new") this.#state = "ready";
    return this.#state === "ready";
  }

  async shutdown(): Promise<void> {
    this.#state = "stopped";
  }

  async executeOrder(signal: SignalToExecute, lastPrice: LastPrice): Promise<ExecutionResult> {
    const timestamp = isoNow(this.#clock);
    const refuse = (code: "TRADER_UNAVAILABLE" | "NO_MARKET_PRICE", message: string) =>
      failedResult(signal, { namespace: this.executionMode, code, message, timestamp });
    if (this.#state !== "ready") return refuse("TRADER_UNAVAILABLE", `trader is ${this.#state}`);
    if (lastPrice === null) return refuse("NO_MARKET_PRICE", "no tick seen for the instrument");
    const original = signal.data.original_signal;
    if (original.signal_type === "HOLD") return refuse("NO_MARKET_PRICE", "nothing to do");
    return {
      kind: "filled",
      payload: {
        order_id: `tiny_${signal.id}`,
        instrument_token: original.instrument_token,
        quantity: signal.data.validated_quantity,
        fill_price: lastPrice.lastPrice,
        timestamp,
        broker: this.executionMode,
        side: original.signal_type,
        strategy_id: original.strategy_id,
        signal_type: original.signal_type,
        execution_mode: this.executionMode,
        fees: null,
      },
    };
  }
}

describeTraderConformance({ namespace: "tiny", create: () => new TinyTrader() });
