import {
  type Clock,
  type ExecutionResult,
  failedResult,
  isoNow,
  type KnownErrorCode,
  type LastPrice,
  type Logger,
  type SignalToExecute,
  silentLogger,
  systemClock,
  type Trader,
} from "@engine/core";
import type { FeeModel } from "./fees/fee-model.js";
import { FlatPercentFeeModel } from "./fees/flat-percent-fee-model.js";
import { fillPrice } from "./fill-price.js";
import { paperOrderId, seededUnit } from "./signal-hash.js";

export interface PaperTraderOptions {
  /** The namespace it executes for; `paper`, or a live namespace simulated in shadow mode. */
  namespace?: string;
  slippageBps?: number;
  /** Up to this many extra basis points, drawn per signal from the seed; 0 is deterministic. */
  randomSpreadBps?: number;
  randomSeed?: string;
  tickSize?: number;
  feeModel?: FeeModel;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Simulated execution: every BUY or SELL fills at once at the market, at the last price (or the
 * touch, when the tick carried depth) moved against the trader by the slippage. Never invents a
 * price: without a last price the order fails.
 */
export class PaperTrader implements Trader {
  readonly executionMode: string;
  readonly #slippageBps: number;
  readonly #randomSpreadBps: number;
  readonly #randomSeed: string;
  readonly #tickSize: number;
  readonly #feeModel: FeeModel;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #ready = false;

  constructor(options: PaperTraderOptions = {}) {
    this.executionMode = options.namespace ?? "paper";
    this.#slippageBps = options.slippageBps ?? 0;
    this.#randomSpreadBps = options.randomSpreadBps ?? 0;
    this.#randomSeed = options.randomSeed ?? "paper";
    this.#tickSize = options.tickSize ?? 0.05;
    this.#feeModel = options.feeModel ?? new FlatPercentFeeModel();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  async initialize(): Promise<boolean> {
    if (!this.#ready) this.#logger.info({ fee_model: this.#feeModel.name }, "paper trader ready");
    this.#ready = true;
    return true;
  }

  async shutdown(): Promise<void> {
    this.#ready = false;
  }

  async executeOrder(signal: SignalToExecute, lastPrice: LastPrice): Promise<ExecutionResult> {
    const original = signal.data.original_signal;
    const side = original.signal_type;
    if (!this.#ready)
      return this.#fail(signal, "TRADER_UNAVAILABLE", "paper trader is not initialised");
    if (side === "HOLD")
      return this.#fail(signal, "INVALID_SIGNAL", "a HOLD signal places no order");
    const quantity = signal.data.validated_quantity;
    if (quantity <= 0) return this.#fail(signal, "INVALID_QUANTITY", "validated quantity is 0");
    if (lastPrice === null || lastPrice.instrumentToken !== original.instrument_token) {
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
    const price = fillPrice({
      side,
      quote: lastPrice,
      slippageBps: this.#slippageBps + extraBps,
      tickSize: this.#tickSize,
    });
    return {
      kind: "filled",
      payload: {
        order_id: paperOrderId(this.executionMode, signal.id),
        instrument_token: original.instrument_token,
        quantity,
        fill_price: price,
        timestamp: isoNow(this.#clock),
        broker: this.executionMode,
        side,
        strategy_id: original.strategy_id,
        signal_type: side,
        execution_mode: this.executionMode,
        fees: this.#feeModel.feesFor({ side, quantity, price }),
      },
    };
  }

  #fail(signal: SignalToExecute, code: KnownErrorCode, message: string): ExecutionResult {
    return failedResult(signal, {
      namespace: this.executionMode,
      code,
      message,
      timestamp: isoNow(this.#clock),
    });
  }
}
