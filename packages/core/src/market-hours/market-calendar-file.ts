import { readFile, stat } from "node:fs/promises";
import type { z } from "zod";
import { EngineError } from "../errors.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import { type MarketCalendar, MarketCalendarSchema } from "./market-calendar.js";

/**
 * The calendar file could not be used: unreadable, not JSON, or not a {@link MarketCalendarSchema}.
 * Retrying helps only once the file is fixed. `context`: `path`, `problem`.
 */
export class MarketCalendarFileError extends EngineError {
  readonly path: string;
  readonly problem: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super(
      "INVALID_MARKET_CALENDAR_FILE",
      `Market calendar file ${path} (MARKET_CALENDAR_FILE): ${problem}`,
      { path, problem },
      options,
    );
    this.path = path;
    this.problem = problem;
  }
}

/** What one look at the calendar file found. */
export type CalendarFilePoll = "changed" | "unchanged" | "rejected";

/**
 * A market calendar read from a JSON file (`MARKET_CALENDAR_FILE`), re-read when the file's
 * mtime, size or inode change (a write in place, or an atomic rename), so announced sessions and
 * holidays take effect without a restart. A file that turns bad (unreadable, not JSON, not the
 * schema, removed) keeps the last good calendar and logs one error naming the file and the
 * problem; the next good version is picked up as usual.
 */
export class MarketCalendarFile {
  readonly path: string;
  readonly #logger: Logger;
  #calendar: MarketCalendar | null = null;
  #signature = "";
  #polling: Promise<CalendarFilePoll> | undefined;

  constructor(path: string, options: { logger?: Logger } = {}) {
    this.path = path;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The last good calendar, or null before one was read. */
  current(): MarketCalendar | null {
    return this.#calendar;
  }

  /**
   * Reads the file now, whatever its metadata (at start: a bad file is bad configuration).
   * @throws MarketCalendarFileError naming the file and the problem
   */
  async load(): Promise<MarketCalendar> {
    const signature = await this.#stat();
    const calendar = await this.#read();
    this.#signature = signature;
    this.#calendar = calendar;
    return calendar;
  }

  /**
   * Looks at the file: `changed` when its new calendar is now `current()`, `rejected` when a new
   * version of it is bad (logged; the calendar is kept), `unchanged` otherwise (a bad version
   * already reported included). Cheap when nothing changed (one `stat`); never rejects.
   */
  poll(): Promise<CalendarFilePoll> {
    // Concurrent callers share one look at the file.
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  async #poll(): Promise<CalendarFilePoll> {
    let signature: string;
    try {
      signature = await this.#stat();
    } catch (error) {
      return this.#bad("missing", error);
    }
    if (signature === this.#signature) return "unchanged";
    this.#signature = signature;
    try {
      this.#calendar = await this.#read();
      return "changed";
    } catch (error) {
      return this.#bad(signature, error);
    }
  }

  /** Logs a bad file once per version of it, and keeps the calendar it had. */
  #bad(signature: string, error: unknown): CalendarFilePoll {
    if (signature === "missing" && this.#signature === "missing") return "unchanged";
    this.#signature = signature;
    this.#logger.error(
      {
        file: this.path,
        problem: error instanceof MarketCalendarFileError ? error.problem : String(error),
        kept: this.#calendar === null ? "no calendar" : "the last good calendar",
      },
      "market calendar file rejected: keeping the last good calendar",
    );
    return "rejected";
  }

  async #stat(): Promise<string> {
    try {
      const info = await stat(this.path);
      return `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch (error) {
      throw new MarketCalendarFileError(this.path, describeIoError(error), { cause: error });
    }
  }

  async #read(): Promise<MarketCalendar> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      throw new MarketCalendarFileError(this.path, describeIoError(error), { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new MarketCalendarFileError(this.path, `not valid JSON (${reason})`, { cause: error });
    }
    const parsed = MarketCalendarSchema.safeParse(json);
    if (!parsed.success) {
      throw new MarketCalendarFileError(this.path, describeIssues(parsed.error.issues));
    }
    return parsed.data;
  }
}

function describeIoError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  return `cannot be read (${error instanceof Error ? error.message : String(error)})`;
}

/** `holidays[2].date: expected a date YYYY-MM-DD; ...`: where in the file, and what is wrong. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path
        .map((key, index) =>
          typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`,
        )
        .join("");
      return `${path || "(top level)"}: ${issue.message}`;
    })
    .join("; ");
}
