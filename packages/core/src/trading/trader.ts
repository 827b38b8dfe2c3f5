import type { OrderPlaced } from "../events/payloads.js";
import type { ExecutionResult, LastPrice, SignalToExecute } from "./execution-result.js";

/** A trader's own view of whether it can take orders now. */
export type TraderHealth = { status: "ready" } | { status: "unavailable"; reason: string };

/**
 * Executes validated signals on one broker (the Strategy pattern's strategy). One instance per
 * namespace; the engine decides where a signal goes, the trader only how it is executed.
 */
export interface Trader {
  /** The namespace this trader executes for (`paper`, `zerodha`, ...); also `execution_mode`. */
  readonly executionMode: string;

  /**
   * Prepares the trader (sessions, caches). Resolves `true` when ready, `false` when it cannot
   * trade. Idempotent: a second call resolves as the first did without redoing the work.
   */
  initialize(): Promise<boolean>;

  /** Releases resources. Idempotent, and safe before `initialize()`. */
  shutdown(): Promise<void>;

  /**
   * Executes one signal with the last price seen for its instrument. Resolves with a result for
   * every business outcome (including "not initialised"); rejects only on a bug.
   */
  executeOrder(signal: SignalToExecute, lastPrice: LastPrice): Promise<ExecutionResult>;

  /**
   * Resolves a signal whose execution was interrupted (the engine stopped between handing it to
   * the trader and recording the result). A live trader must find out whether the first attempt
   * reached the broker and adopt that order rather than place a second one. Traders without it
   * are re-executed, which only a simulator may allow.
   */
  recoverOrder?(signal: SignalToExecute, lastPrice: LastPrice): Promise<ExecutionResult>;

  /**
   * Follows an order the broker accepted (`executeOrder` resolved `placed`) to its end, resolving
   * with `filled` (average price, filled quantity, partial fills included) or `failed` (rejected,
   * cancelled). The engine calls it after publishing `order_placed`, and again after a restart for
   * orders still open in its journal; `signal` aborts the wait when the engine stops. Traders
   * that never answer `placed` need not implement it.
   */
  awaitOrderCompletion?(
    signal: SignalToExecute,
    placed: OrderPlaced,
    abort: AbortSignal,
  ): Promise<ExecutionResult>;

  /** Current health; traders that can lose their session (an expired token) report it here. */
  health?(): TraderHealth;
}
