import { EngineError, errorMessage } from "@engine/core";

/** The database could not be reached or stopped answering: retrying can help. */
export class DatabaseUnavailableError extends EngineError {
  constructor(cause: unknown) {
    super(
      "DATABASE_UNAVAILABLE",
      `database unavailable: ${errorMessage(cause)}`,
      {},
      {
        cause,
        retryable: true,
      },
    );
  }
}

/** The database refused a statement (a bug or a schema the engine does not expect): retrying cannot help. */
export class DatabaseStatementError extends EngineError {
  constructor(cause: unknown, sqlState: string | undefined) {
    super(
      "DATABASE_STATEMENT",
      `database refused a statement${sqlState ? ` (SQLSTATE ${sqlState})` : ""}: ${errorMessage(cause)}`,
      { sql_state: sqlState },
      { cause, retryable: false },
    );
  }
}

/** SQLSTATE classes and codes after which the same statement may succeed later. */
const TRANSIENT_SQLSTATE = /^(08|53|57P0[1-3]|40001|40P01|55P03|58)/;
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * Classifies a driver's error at the edge (pg or PGlite): connection trouble, timeouts, a server
 * shutting down, serialisation failures and deadlocks are `DatabaseUnavailableError` (retry);
 * anything else the server refused is `DatabaseStatementError` (do not).
 */
export function classifyDatabaseError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const fields = (typeof error === "object" && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
  };
  const code = typeof fields.code === "string" ? fields.code : undefined;
  const message = typeof fields.message === "string" ? fields.message : "";
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    return TRANSIENT_SQLSTATE.test(code)
      ? new DatabaseUnavailableError(error)
      : new DatabaseStatementError(error, code);
  }
  if (code !== undefined && NETWORK_CODES.has(code)) return new DatabaseUnavailableError(error);
  if (
    /timeout|terminated|Connection terminated|connection.*(closed|ended|lost)|Client has encountered a connection error|ECONN/i.test(
      message,
    )
  ) {
    return new DatabaseUnavailableError(error);
  }
  return new DatabaseStatementError(error, undefined);
}
