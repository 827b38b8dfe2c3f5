import type { Instrument } from "./instrument.js";
import { renderInstrumentsCsv } from "./instruments-csv.js";

/**
 * The emulator's instrument master: lookups by exchange and tradingsymbol, and the CSV dump,
 * rendered once per exchange and cached because the dump is large and never changes in a day.
 */
export class InstrumentTable {
  readonly #bySymbol = new Map<string, Instrument>();
  readonly #rows: readonly Instrument[];
  readonly #csvCache = new Map<string, string>();

  constructor(rows: readonly Instrument[]) {
    this.#rows = rows;
    for (const row of rows) this.#bySymbol.set(key(row.exchange, row.tradingsymbol), row);
  }

  get size(): number {
    return this.#rows.length;
  }

  find(exchange: string, tradingsymbol: string): Instrument | undefined {
    return this.#bySymbol.get(key(exchange, tradingsymbol));
  }

  /** The dump of every exchange, or of one exchange (case-insensitive, as Kite's path is). */
  csv(exchange?: string): string {
    const cacheKey = exchange?.toUpperCase() ?? "*";
    let text = this.#csvCache.get(cacheKey);
    if (text === undefined) {
      const rows =
        exchange === undefined ? this.#rows : this.#rows.filter((r) => r.exchange === cacheKey);
      text = renderInstrumentsCsv(rows);
      this.#csvCache.set(cacheKey, text);
    }
    return text;
  }
}

function key(exchange: string, tradingsymbol: string): string {
  return `${exchange}:${tradingsymbol}`;
}
