import { EngineError } from "@engine/core";
import type { KiteFailure } from "./kite/kite-errors.js";

/**
 * A Kite call failed. Carries only the classified failure (kind, Kite's `error_type` and a
 * redacted message), never the client's raw rejection, which can hold request headers.
 */
export class KiteCallError extends EngineError {
  readonly failure: KiteFailure;

  constructor(operation: string, failure: KiteFailure) {
    super(
      "KITE_CALL_FAILED",
      `Kite ${operation} failed: ${failure.errorType}: ${failure.message}`,
      {
        operation,
        error_type: failure.errorType,
        kind: failure.kind,
      },
    );
    this.failure = failure;
  }
}
