import type { z } from "zod";
import { EngineError } from "../errors.js";

/** One reason a message was rejected, with the path of the offending field. */
export interface DecodeIssue {
  /** Dotted path of the field, e.g. `data.original_signal.quantity`; empty for the whole value. */
  path: string;
  message: string;
}

/** Why a message could not be decoded; `message` names every bad field. */
export class EventDecodeError extends EngineError {
  readonly issues: readonly DecodeIssue[];

  constructor(issues: DecodeIssue[]) {
    super("EVENT_DECODE_FAILED", formatIssues(issues), { issues });
    this.issues = issues;
  }
}

/** A decoded value, or the `EventDecodeError` that says why it could not be decoded. Never throws. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: EventDecodeError };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes or text to text; rejects bytes that are not valid UTF-8. */
export function toText(raw: string | Uint8Array): string {
  return typeof raw === "string" ? raw : utf8.decode(raw);
}

/** Parses JSON text or bytes, reporting failure as a value. */
export function parseJson(raw: string | Uint8Array): DecodeResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(toText(raw)) };
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return fail([{ path: "", message: `not valid JSON: ${reason}` }]);
  }
}

/** Decodes a message value against an envelope schema. Never throws. */
export function decodeEvent<S extends z.ZodType>(
  schema: S,
  raw: string | Uint8Array,
): DecodeResult<z.infer<S>> {
  const json = parseJson(raw);
  if (!json.ok) return json;
  return validateEvent(schema, json.value);
}

/** Validates an already-parsed value against a schema. Never throws. */
export function validateEvent<S extends z.ZodType>(
  schema: S,
  value: unknown,
): DecodeResult<z.infer<S>> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return fail(
    parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join("."),
      message: issue.message,
    })),
  );
}

/** Writes an event as contract JSON. */
export function encodeEvent(event: object): string {
  return JSON.stringify(event);
}

function fail(issues: DecodeIssue[]): { ok: false; error: EventDecodeError } {
  return { ok: false, error: new EventDecodeError(issues) };
}

function formatIssues(issues: readonly DecodeIssue[]): string {
  return issues
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join("; ");
}
