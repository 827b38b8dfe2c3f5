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

/** The error an aborted wait rejects with: a DOMException named `AbortError`, as fetch uses. */
export function abortError(what: string): DOMException {
  return new DOMException(`${what} was aborted`, "AbortError");
}

/** Resolves after `ms`, or at once when `abort` fires (it never rejects). */
export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort?.aborted || ms <= 0) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      abort?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort?.addEventListener("abort", done, { once: true });
  });
}
