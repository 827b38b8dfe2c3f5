import ms from "ms";
import { MigrationUsageError } from "./migration-errors.js";

/** A window of signals, ms since the epoch: `[fromMs, toMs)`. */
export interface CompareWindow {
  fromMs: number;
  toMs: number;
}

/** A duration such as `90s`, `15m`, `1h`, `2d`, in ms. @throws MigrationUsageError */
export function parseDuration(text: string, option: string): number {
  const value = ms(text as ms.StringValue);
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new MigrationUsageError(`${option}: expected a duration such as 90s, 15m, 1h or 2d`);
  }
  return value;
}

function parseInstant(text: string, option: string): number {
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(text) || !Number.isFinite(at)) {
    throw new MigrationUsageError(`${option}: expected an ISO-8601 time with an offset`);
  }
  return at;
}

/**
 * The window from the command line: `--from`/`--to` (ISO-8601 with an offset), or `--since` a
 * duration before `--to` (default: now). `--since` defaults to 1h.
 * @throws MigrationUsageError for a bad value, both `--from` and `--since`, or an empty window
 */
export function parseWindow(
  options: { since?: string; from?: string; to?: string },
  nowMs: number,
): CompareWindow {
  if (options.from !== undefined && options.since !== undefined) {
    throw new MigrationUsageError("give --from or --since, not both");
  }
  const toMs = options.to === undefined ? nowMs : parseInstant(options.to, "--to");
  const fromMs =
    options.from === undefined
      ? toMs - parseDuration(options.since ?? "1h", "--since")
      : parseInstant(options.from, "--from");
  if (fromMs >= toMs)
    throw new MigrationUsageError("the window is empty: --from must be before --to");
  return { fromMs, toMs };
}
