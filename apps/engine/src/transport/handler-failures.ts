import { EngineError } from "@engine/core";

/**
 * Kafka protocol errors that say the request itself is wrong: sending the same thing again gets
 * the same answer.
 */
const REQUEST_ERRORS = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TOPIC_EXCEPTION",
]);

/**
 * Whether a batch that failed with `error` is worth handling again as it is: the broker or the
 * network failed (kafkajs errors, a connection lost, a produce that ran out of retries), not the
 * batch. Anything else (a request the broker refuses whatever the moment, a bug met by one
 * message) would fail the same way again, so the batch's messages are taken one at a time instead.
 */
export function isBusTrouble(error: unknown): boolean {
  let kafka = false;
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth += 1) {
    const type = (cause as { type?: unknown }).type;
    if (typeof type === "string" && REQUEST_ERRORS.has(type)) return false;
    if (cause.name.startsWith("KafkaJS")) kafka = true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return kafka;
}

/**
 * Engine errors that say the engine itself is broken (its journal holds what its rules forbid,
 * the database refuses its statements): no message is to blame, so none is set aside; the
 * consumer stops for good and the process exits non-zero to be restarted, loudly.
 */
const ENGINE_BROKEN = new Set(["INVARIANT_VIOLATION", "DATABASE_STATEMENT", "TRADER_CAPABILITY"]);

/** Whether a handler's failure must stop the engine rather than set a message aside. */
export function isEngineBroken(error: unknown): boolean {
  return error instanceof EngineError && !error.retryable && ENGINE_BROKEN.has(error.code);
}

/** A one-line description of an error for a log line or a dead letter. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && !error.message.startsWith(error.name)
    ? `${error.name}: ${error.message}`
    : error.message;
}
