/** Kite's error types, as they appear in `error_type`. */
export type KiteErrorType =
  | "TokenException"
  | "InputException"
  | "OrderException"
  | "MarginException"
  | "UserException"
  | "PermissionException"
  | "NetworkException"
  | "DataException"
  | "GeneralException";

/**
 * What a handler decided to answer. Handlers return values instead of writing to the socket so
 * that latency and the "no answer" faults are applied in one place.
 */
export type Reply =
  | { kind: "body"; status: number; contentType: string; body: string }
  /** Answer `reply` only after `afterMs`, long after a client with a short timeout gave up. */
  | { kind: "hang"; afterMs: number; reply: Reply }
  /** Drop the connection without answering. */
  | { kind: "destroy" };

/** A JSON body with exactly `application/json`, the content type the client checks for. */
export function jsonReply(status: number, value: unknown): Reply {
  return { kind: "body", status, contentType: "application/json", body: JSON.stringify(value) };
}

/** Kite's success envelope. */
export function kiteSuccess(data: unknown): Reply {
  return jsonReply(200, { status: "success", data });
}

/** Kite's error envelope. */
export function kiteError(status: number, errorType: KiteErrorType, message: string): Reply {
  return jsonReply(status, { status: "error", message, error_type: errorType, data: null });
}

/** A plain-text answer, as Kite's edge sends for some 429s and 5xx. */
export function textReply(status: number, body: string, contentType = "text/plain"): Reply {
  return { kind: "body", status, contentType, body };
}
