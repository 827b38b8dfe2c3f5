import type { Instrument } from "./instrument.js";

/** Rows parsed, and rows dropped because a required field was missing or malformed. */
export interface ParsedInstruments {
  instruments: Instrument[];
  skipped: number;
}

/** Tick size used when a row has none: the NSE equity tick. */
const DEFAULT_TICK_SIZE = 0.05;

function text(value: unknown): string {
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return "";
}

/** A number or numeric text above zero, else null (`Number("")` would be 0, hence the check). */
function positiveNumber(value: unknown): number | null {
  const written = text(value);
  if (written === "") return null;
  const number = Number(written);
  return Number.isFinite(number) && number > 0 ? number : null;
}

/**
 * One row of the dump as an {@link Instrument}, or null when it is unusable. Every field may
 * arrive as a string or as a number: kiteconnect 5.3.0 keeps `instrument_token` as a string but
 * parses `lot_size` and `tick_size`, and a raw CSV has only strings. A missing exchange takes
 * `defaultExchange`; a missing lot or tick size takes 1 and 0.05, which Kite then checks.
 */
export function instrumentFromRow(row: unknown, defaultExchange: string): Instrument | null {
  if (typeof row !== "object" || row === null) return null;
  const record = row as Record<string, unknown>;
  const token = positiveNumber(record.instrument_token);
  if (token === null || !Number.isSafeInteger(token)) return null;
  const tradingsymbol = text(record.tradingsymbol);
  if (tradingsymbol === "") return null;
  const lot = positiveNumber(record.lot_size);
  return {
    token,
    exchange: text(record.exchange).toUpperCase() || defaultExchange,
    tradingsymbol,
    lotSize: lot !== null && Number.isSafeInteger(lot) ? lot : 1,
    tickSize: positiveNumber(record.tick_size) ?? DEFAULT_TICK_SIZE,
  };
}

/** Rows as the client returns them (objects keyed by column), e.g. from `getInstruments()`. */
export function instrumentsFromRows(
  rows: readonly unknown[],
  defaultExchange: string,
): ParsedInstruments {
  const instruments: Instrument[] = [];
  let skipped = 0;
  for (const row of rows) {
    const instrument = instrumentFromRow(row, defaultExchange);
    if (instrument === null) {
      // The dump's trailing newline yields one empty row: not worth counting as a problem.
      if (!isEmptyRow(row)) skipped += 1;
    } else {
      instruments.push(instrument);
    }
  }
  return { instruments, skipped };
}

function isEmptyRow(row: unknown): boolean {
  if (typeof row !== "object" || row === null) return false;
  const token: unknown = (row as Record<string, unknown>).instrument_token;
  return token === undefined || token === null || token === "";
}

/** Splits one CSV line, honouring double quotes (names such as `"ABC, LTD"`). */
function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const fields: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        current += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ",") {
      fields.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  fields.push(current);
  return fields;
}

/**
 * Parses the raw instrument CSV (header first). The client hands back the raw text instead of
 * parsed rows when the content type is not exactly `text/csv` (`text/csv; charset=utf-8`, say),
 * so both shapes are handled. Columns are found by name, not position.
 */
export function parseInstrumentsCsv(csv: string, defaultExchange: string): ParsedInstruments {
  const lines = csv.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? "").map((name) => name.trim());
  const rows: Record<string, string>[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined || line.trim() === "") continue;
    const fields = splitCsvLine(line);
    const row: Record<string, string> = {};
    for (let c = 0; c < header.length; c++) row[header[c] as string] = fields[c] ?? "";
    rows.push(row);
  }
  return instrumentsFromRows(rows, defaultExchange);
}

/** Whatever `getInstruments()` resolved with: parsed rows, or raw CSV text. */
export function instrumentsFromDump(
  dump: unknown,
  defaultExchange: string,
): ParsedInstruments | null {
  if (Array.isArray(dump)) return instrumentsFromRows(dump, defaultExchange);
  if (typeof dump === "string") return parseInstrumentsCsv(dump, defaultExchange);
  return null;
}
