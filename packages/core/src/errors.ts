/**
 * Base class of every error the engine throws. Errors are for bugs and broken infrastructure;
 * business outcomes (a rejected order, a closed market) are values, never exceptions.
 */
export class EngineError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** The registry was used before `initialize()` finished. */
export class RegistryNotInitializedError extends EngineError {
  constructor() {
    super("REGISTRY_NOT_INITIALIZED", "TraderRegistry used before initialize()");
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
    super("TRADER_UNAVAILABLE", `Trader "${namespace}" is unavailable: ${reason}`, {
      namespace,
      reason,
    });
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
