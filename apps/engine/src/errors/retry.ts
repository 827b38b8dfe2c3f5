import { isRetryable } from "@engine/core";
import pRetry from "p-retry";

export interface RetryOptions {
  /** First wait, ms; it doubles (with jitter) up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Stops retrying (rejecting with the signal's reason) when it fires. */
  signal?: AbortSignal;
  /** Told of each failure that will be retried, before the wait. */
  onRetry?(error: Error, attempt: number): void;
}

/**
 * Runs `work` until it succeeds, retrying only what can be retried (`isRetryable`: an outage of
 * the database or a broker) with exponential backoff and jitter; anything else (a bug, a broken
 * invariant) is rethrown at once, so it stops the engine rather than pass for an outage.
 */
export function retryWhileRetryable<T>(
  work: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  return pRetry(work, {
    retries: Number.POSITIVE_INFINITY,
    factor: 2,
    minTimeout: options.minDelayMs ?? 200,
    maxTimeout: options.maxDelayMs ?? 5_000,
    randomize: true,
    ...(options.signal ? { signal: options.signal } : {}),
    shouldRetry: ({ error }) => isRetryable(error),
    onFailedAttempt: ({ error, attemptNumber }) => {
      if (isRetryable(error)) options.onRetry?.(error, attemptNumber);
    },
  });
}
