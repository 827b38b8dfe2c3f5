import type { IncomingHttpHeaders } from "node:http";

/** One Kite API request as it reached the emulator. */
export interface LoggedRequest {
  /** Arrival time, ISO 8601 UTC. */
  at: string;
  method: string;
  /** Path without the query string, e.g. `/orders/regular`. */
  path: string;
  /** Route template, e.g. `/orders/:variety`, or the path when no route matched. */
  route: string;
  query: Record<string, string>;
  /** Lower-cased headers; `authorization` is replaced by `REDACTED`. */
  headers: Record<string, string>;
  /** Parsed form (or JSON) fields. */
  body: Record<string, string>;
  /** HTTP status answered, or null while pending or when the connection was dropped. */
  status: number | null;
}

/** Replaces secrets so a log can be printed or asserted on without leaking the access token. */
export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] =
      name === "authorization" ? "REDACTED" : Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** A bounded log of requests, oldest dropped first, so long scale runs keep a steady footprint. */
export class RequestLog {
  readonly #limit: number;
  #entries: LoggedRequest[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(entry: LoggedRequest): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.#limit * 1.25) {
      this.#entries = this.#entries.slice(this.#entries.length - this.#limit);
    }
  }

  entries(): LoggedRequest[] {
    const start = Math.max(0, this.#entries.length - this.#limit);
    return this.#entries.slice(start).map((entry) => structuredClone(entry));
  }

  clear(): void {
    this.#entries = [];
  }
}
