import {
  type Clock,
  errorMessage,
  failedResult,
  type Logger,
  type MarketQuote,
  type SubmitResult,
  SubmitResultSchema,
  type Trader,
} from "@engine/core";
import type { EngineMetrics } from "../observability/metrics.js";
import type { TrackedExecution } from "./tracked-execution.js";

export interface TraderCallOptions {
  /** Whether the trader finds orders by client order id (an unclear answer is then `unknown`). */
  queryable: boolean;
  /** The last quote of an instrument, handed to the trader. */
  quote(instrumentToken: number): MarketQuote | null;
  /** Fires when this instance may no longer send orders (its lease). */
  abort: AbortSignal;
  /** The engine's execution timeout; a trader's declared `maxSubmitMs` may be longer. */
  timeoutMs: number;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
}

/** A trader's answer within the timeout (`result`), or null and the answer still to come (`late`). */
export interface TraderCall {
  result: SubmitResult | null;
  late: Promise<SubmitResult>;
}

/**
 * Calls a trader's `executeOrder` for a submission and waits for its answer as long as the
 * timeout (the larger of the engine's and the trader's declared `maxSubmitMs`). Never rejects: a
 * trader that throws or answers something invalid has `unknown` for an answer when its orders can
 * be looked up (the order may have gone), a `failed` TRADER_UNAVAILABLE otherwise.
 */
export async function callTrader(
  execution: TrackedExecution,
  trader: Trader,
  options: TraderCallOptions,
): Promise<TraderCall> {
  const started = performance.now();
  const failure = (reason: string): SubmitResult =>
    options.queryable
      ? { kind: "unknown", reason }
      : traderUnavailable(execution, reason, options.clock);
  const call = (async (): Promise<SubmitResult> => {
    try {
      const answer = await trader.executeOrder(
        execution.signal,
        options.quote(execution.signal.data.original_signal.instrument_token),
        { clientOrderId: execution.clientOrderId, abort: options.abort },
      );
      const checked = SubmitResultSchema.safeParse(answer);
      if (checked.success) return withdrawnIsUnknown(checked.data, options);
      options.logger.error(
        { ...execution.context(), issues: checked.error.issues.slice(0, 5) },
        "trader returned an invalid result",
      );
      return failure("trader returned an invalid result");
    } catch (error) {
      options.logger.error(
        { ...execution.context(), err: errorMessage(error) },
        "trader threw on a submission",
      );
      return failure(`trader failed: ${errorMessage(error)}`);
    } finally {
      options.metrics.submitSeconds.observe(
        { namespace: execution.namespace },
        (performance.now() - started) / 1000,
      );
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = Math.max(options.timeoutMs, trader.capabilities.maxSubmitMs ?? 0);
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  const result = await Promise.race([call, timeout]);
  clearTimeout(timer);
  return { result, late: call };
}

/**
 * A trader answers `failed` TRADER_UNAVAILABLE when the engine withdrew the submission (its lease
 * at risk) before the order went out; but the engine cannot tell that answer from an outage met
 * after sending, and the execution is not lost for want of a lease: where orders can be looked up
 * it is `unknown`, and the broker's order book decides (absent after the visibility window: it is
 * submitted again).
 */
function withdrawnIsUnknown(result: SubmitResult, options: TraderCallOptions): SubmitResult {
  if (
    options.queryable &&
    options.abort.aborted &&
    result.kind === "failed" &&
    result.payload.error_code === "TRADER_UNAVAILABLE"
  ) {
    return { kind: "unknown", reason: `submission withdrawn: ${result.payload.error_message}` };
  }
  return result;
}

/** `failed` TRADER_UNAVAILABLE for an execution nothing was sent for. */
export function traderUnavailable(
  execution: TrackedExecution,
  message: string,
  clock: Clock,
): SubmitResult {
  return failedResult(execution.signal, {
    namespace: execution.namespace,
    code: "TRADER_UNAVAILABLE",
    message,
    timestamp: new Date(clock.now()).toISOString(),
  });
}
