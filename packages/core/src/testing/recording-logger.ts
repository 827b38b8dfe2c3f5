import { inspect } from "node:util";
import type { Logger } from "../ports/logger.js";

/** One log call, with the bindings of every child logger merged in. */
export interface LogRecord {
  level: "debug" | "info" | "warn" | "error";
  context: Record<string, unknown>;
  message: string | undefined;
}

/**
 * A Logger that keeps every call at every level, with the bindings of its children, so tests can
 * read them and scan them for secrets. Nothing is redacted: a secret pino's redaction would mask
 * is still found here.
 */
export class RecordingLogger implements Logger {
  readonly records: LogRecord[];
  readonly #bindings: Record<string, unknown>;

  constructor(records: LogRecord[] = [], bindings: Record<string, unknown> = {}) {
    this.records = records;
    this.#bindings = bindings;
  }

  debug(context: object, message?: string): void {
    this.#add("debug", context, message);
  }
  info(context: object, message?: string): void {
    this.#add("info", context, message);
  }
  warn(context: object, message?: string): void {
    this.#add("warn", context, message);
  }
  error(context: object, message?: string): void {
    this.#add("error", context, message);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new RecordingLogger(this.records, { ...this.#bindings, ...bindings });
  }

  /** Every record as one JSON text, for scanning. */
  text(): string {
    return this.records.map((record) => JSON.stringify(record)).join("\n");
  }

  /**
   * Every record rendered with `util.inspect`, one a line. It shows what `JSON.stringify` hides
   * (an Error's message and stack, non-plain objects, a client's request config), so a secret
   * anywhere in a context is found.
   */
  inspectedText(): string {
    return this.records
      .map(
        (record) =>
          `${record.level} ${record.message ?? ""} ${inspect(record.context, {
            depth: 10,
            breakLength: Number.POSITIVE_INFINITY,
            showHidden: false,
          })}`,
      )
      .join("\n");
  }

  #add(level: LogRecord["level"], context: object, message: string | undefined): void {
    this.records.push({ level, context: { ...this.#bindings, ...context }, message });
  }
}
