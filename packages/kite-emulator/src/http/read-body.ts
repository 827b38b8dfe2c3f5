import type { IncomingMessage } from "node:http";

/** Bodies larger than this are refused; Kite's order forms are a few hundred bytes. */
const MAX_BODY_BYTES = 1_000_000;

/** Thrown when a body exceeds {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {
  constructor() {
    super("request body too large");
    this.name = "BodyTooLargeError";
  }
}

/** Reads the whole request body as UTF-8. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Parses a Kite request body into string fields. The client sends forms; JSON objects are
 * accepted too, with their values turned into strings, so hand-written requests also work.
 */
export function parseFields(contentType: string | undefined, raw: string): Record<string, string> {
  if (raw === "") return {};
  if (contentType?.includes("application/json")) {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).map(([key, value]) => [
        key,
        typeof value === "string" ? value : JSON.stringify(value),
      ]),
    );
  }
  return Object.fromEntries(new URLSearchParams(raw));
}
