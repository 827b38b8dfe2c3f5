import { INSTRUMENT_COLUMNS, type Instrument } from "./instrument.js";

function csvField(value: string | number): string {
  const text = String(value);
  // Names such as "LARSEN & TOUBRO" are safe; quote only what CSV requires.
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Renders rows as Kite's instrument CSV: header first, one line per row, trailing newline. */
export function renderInstrumentsCsv(rows: readonly Instrument[]): string {
  const lines: string[] = new Array(rows.length + 1);
  lines[0] = INSTRUMENT_COLUMNS.join(",");
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Instrument;
    lines[i + 1] = INSTRUMENT_COLUMNS.map((column) => csvField(row[column])).join(",");
  }
  return `${lines.join("\n")}\n`;
}
