/**
 * Base class of every error the engine throws. Errors are for bugs and broken infrastructure;
 * business outcomes (a rejected order, a closed market) are values, never exceptions.
 *
 * Every error has a `code` and says whether retrying can help (`retryable`): an outage of the
 * database or a broker can pass, a broken invariant cannot. Retry loops retry only the former
 * (`isRetryable`), so a bug stops the engine loudly instead of looking like an outage.
 */
export class EngineError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
    this.context = context;
  }
}

/** The registry was used before `initialize()` finished. */
export class RegistryNotInitializedError extends EngineError {
  constructor() {
    super(
      "REGISTRY_NOT_INITIALIZED",
      "TraderRegistry used before initialize()",
      {},
      {
        retryable: true,
      },
    );
  }
}

/** No trader is registered under this namespace. */
export class UnknownNamespaceError extends EngineError {
  constructor(namespace: string) {
    super("UNKNOWN_NAMESPACE", `No trader registered for namespace "${namespace}"`, { namespace });
  }
}

/** The trader exists but failed to initialise or reported itself unhealthy. */
export class TraderUnavailableError extends EngineError {
  constructor(namespace: string, reason: string) {
    super(
      "TRADER_UNAVAILABLE",
      `Trader "${namespace}" is unavailable: ${reason}`,
      { namespace, reason },
      { retryable: true },
    );
  }
}

/** Two plugins claim the same namespace. */
export class DuplicateNamespaceError extends EngineError {
  constructor(namespace: string) {
    super("DUPLICATE_NAMESPACE", `A trader is already registered for namespace "${namespace}"`, {
      namespace,
    });
  }
}

/** A trader declares a capability it does not implement, or a live trader lacks a required one. */
export class CapabilityError extends EngineError {
  constructor(namespace: string, problem: string) {
    super("TRADER_CAPABILITY", `Trader "${namespace}": ${problem}`, { namespace });
  }
}

/**
 * Something that must never happen happened (a journal row that breaks the engine's own rules,
 * say). Not retryable: the engine stops (exit non-zero) rather than go on with a broken state.
 */
export class InvariantViolationError extends EngineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super("INVARIANT_VIOLATION", message, context, { retryable: false });
  }
}

/**
 * Whether retrying can help: an `EngineError` says so itself; anything else (a driver's or a
 * client's error, which the app classifies at its edge before it gets here) is assumed not to.
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof EngineError && error.retryable;
}

/**
 * A readable message of anything thrown: an Error's message, a string, or the `message` field of a
 * plain object (clients such as kiteconnect reject with those). Never the whole object, which may
 * carry a request's headers and with them a secret.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null) {
    const message: unknown = (error as { message?: unknown }).message;
    if (typeof message === "string") return message;
    return "a non-Error object was thrown";
  }
  return String(error);
}
