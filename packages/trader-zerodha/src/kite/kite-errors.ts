/**
 * What a failed Kite call means for the order, decided from the `error_type` and `message` of the
 * client's rejection (a plain object, not an Error, and without the HTTP status).
 *
 * - `rejected`: Kite looked at the request and refused it; nothing was created. Safe to report.
 * - `token`: the session is gone (expired at 06:00 IST, logged out, or a wrong token).
 * - `ambiguous`: no trustworthy answer (timeout, dropped connection, 5xx, 429, a 200 that was not
 *   JSON). For a placement the order may or may not exist, so it must be reconciled, never
 *   retried blindly.
 */
export type KiteFailure =
  | { kind: "rejected"; errorType: string; message: string }
  | { kind: "token"; errorType: "TokenException"; message: string }
  | {
      kind: "ambiguous";
      errorType: string;
      message: string;
      rateLimited: boolean;
      /**
       * No answer came at all (a timeout, a dropped connection): the request may still be on its
       * way through Kite, so one look at the order book is not enough to call it absent.
       */
      unanswered?: boolean;
    };

/** Kite error types that mean "refused, nothing happened". */
const REJECTION_TYPES: ReadonlySet<string> = new Set([
  "InputException",
  "OrderException",
  "MarginException",
  "HoldingException",
  "PermissionException",
  "UserException",
]);

/** Messages are bounded: a DataException embeds the whole unexpected response body. */
const MAX_MESSAGE_LENGTH = 300;

function field(value: unknown, name: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const found: unknown = (value as Record<string, unknown>)[name];
  return typeof found === "string" ? found : undefined;
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_MESSAGE_LENGTH ? `${flat.slice(0, MAX_MESSAGE_LENGTH)}…` : flat;
}

/**
 * Classifies a rejection of the kiteconnect client (or a resolved value carrying `error_type`).
 * Only `error_type`, `message` and an Error's `code` are read: the rest of such objects (an
 * axios config with the Authorization header, for one) must never reach a log or an event.
 */
export function classifyKiteError(reason: unknown): KiteFailure {
  const errorType = field(reason, "error_type") ?? (reason instanceof Error ? "Error" : "Unknown");
  const code = field(reason, "code");
  const rawMessage = field(reason, "message") ?? (code ? `error code ${code}` : "unknown error");
  const message = shorten(rawMessage);
  if (errorType === "TokenException") return { kind: "token", errorType, message };
  if (REJECTION_TYPES.has(errorType)) return { kind: "rejected", errorType, message };
  // Kite's 429 arrives as a JSON NetworkException "Too many requests", or as plain text that the
  // client reports by its status text, "Too Many Requests".
  const rateLimited = /too many requests/i.test(rawMessage);
  const unanswered = /ECONNABORTED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|timeout/i.test(
    `${rawMessage} ${code ?? ""}`,
  );
  return { kind: "ambiguous", errorType, message, rateLimited, unanswered };
}

/** Whether a value the client resolved with is really an error (the 200-with-HTML trap). */
export function resolvedError(value: unknown): boolean {
  return field(value, "error_type") !== undefined;
}

/**
 * Whether Kite refused a request because it has no order with that id (Kite's "Couldn't find that
 * `order_id`."): an order from an earlier day, or none at all.
 */
export function isUnknownOrder(failure: KiteFailure): boolean {
  return failure.kind === "rejected" && /couldn.?t find that .?order_id/i.test(failure.message);
}
