import { EngineError, errorMessage } from "@engine/core";

/** The message bus did not take the messages now; retrying can help. */
export class BusUnavailableError extends EngineError {
  constructor(cause: unknown) {
    super(
      "BUS_UNAVAILABLE",
      `message bus unavailable: ${errorMessage(cause)}`,
      {},
      {
        cause,
        retryable: true,
      },
    );
  }
}

/** The bus refused the messages for good (too large, not authorised): retrying cannot help. */
export class BusRefusedError extends EngineError {
  constructor(cause: unknown) {
    super(
      "BUS_REFUSED",
      `message bus refused the messages: ${errorMessage(cause)}`,
      {},
      {
        cause,
        retryable: false,
      },
    );
  }
}

/** kafkajs errors that a later attempt may not meet, though the client does not mark them. */
const TRANSIENT_NAMES = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSBrokerNotFound",
  "KafkaJSLockTimeout",
]);

/**
 * Classifies a failed publish at the edge: what the client marks retriable, and connection
 * trouble, is `BusUnavailableError`; anything else (a message over the broker's limit, an
 * authorisation failure) is `BusRefusedError`.
 */
export function classifyBusError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const fields = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown;
    retriable?: unknown;
    type?: unknown;
    cause?: unknown;
  };
  const type = typeof fields.type === "string" ? fields.type : "";
  if (/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE|AUTHORIZATION|INVALID_RECORD/.test(type)) {
    return new BusRefusedError(error);
  }
  const name = typeof fields.name === "string" ? fields.name : "";
  // Retries exhausted: what decides is what kept failing.
  if (name === "KafkaJSNumberOfRetriesExceeded" && fields.cause !== undefined) {
    const cause = classifyBusError(fields.cause);
    return cause.retryable ? new BusUnavailableError(error) : new BusRefusedError(error);
  }
  if (fields.retriable === true || TRANSIENT_NAMES.has(name)) return new BusUnavailableError(error);
  return new BusRefusedError(error);
}
