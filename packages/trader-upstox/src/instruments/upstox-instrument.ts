import { z } from "zod";

/** Upstox's exchange token is a string in its master; some dumps carry a number. */
const Token = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);

/** A row of Upstox's instrument master, the fields the trader uses (others are ignored). */
export const UpstoxInstrumentSchema = z
  .looseObject({
    instrument_key: z.string().min(1),
    segment: z.string().min(1),
    exchange_token: Token,
    trading_symbol: z.string().min(1),
    lot_size: z.number().int().positive().default(1),
    instrument_type: z.string().optional(),
  })
  .transform(fromMasterRow);
export type UpstoxInstrument = z.output<typeof UpstoxInstrumentSchema>;

/** The trader's view of a master row (or of a stored one: the same column names). */
export function fromMasterRow(row: {
  instrument_key: string;
  segment: string;
  exchange_token: string;
  trading_symbol: string;
  lot_size: number;
}) {
  return {
    instrumentKey: row.instrument_key,
    segment: row.segment,
    exchangeToken: row.exchange_token,
    tradingSymbol: row.trading_symbol,
    lotSize: row.lot_size,
  };
}

/**
 * Kite's exchange names to Upstox's segments. Unlisted exchanges are not mapped: an instrument
 * there is INSTRUMENT_NOT_FOUND rather than a guess.
 */
export const SEGMENT_OF_EXCHANGE: Readonly<Record<string, string>> = Object.freeze({
  NSE: "NSE_EQ",
  BSE: "BSE_EQ",
  NFO: "NSE_FO",
  BFO: "BSE_FO",
});

/** Upstox's instruments in memory, by segment and exchange token, and by equity symbol. */
export class UpstoxInstrumentIndex {
  #byToken = new Map<string, UpstoxInstrument>();
  #bySymbol = new Map<string, UpstoxInstrument>();

  get size(): number {
    return this.#byToken.size;
  }

  /** Replaces every instrument at once. */
  replace(rows: readonly UpstoxInstrument[]): void {
    const byToken = new Map<string, UpstoxInstrument>();
    const bySymbol = new Map<string, UpstoxInstrument>();
    for (const row of rows) {
      byToken.set(`${row.segment}|${row.exchangeToken}`, row);
      if (row.segment.endsWith("_EQ")) bySymbol.set(`${row.segment}|${row.tradingSymbol}`, row);
    }
    this.#byToken = byToken;
    this.#bySymbol = bySymbol;
  }

  /**
   * The Upstox instrument of a platform instrument: by the exchange's own token in the mapped
   * segment, else, for equity only, by the same trading symbol (F&O symbols are written
   * differently by the two brokers and are never matched as strings). Undefined when unmapped.
   */
  resolve(instrument: {
    exchange: string;
    exchangeToken: number;
    tradingSymbol: string;
  }): UpstoxInstrument | undefined {
    const segment = SEGMENT_OF_EXCHANGE[instrument.exchange];
    if (segment === undefined) return undefined;
    return (
      this.#byToken.get(`${segment}|${instrument.exchangeToken}`) ??
      (segment.endsWith("_EQ")
        ? this.#bySymbol.get(`${segment}|${instrument.tradingSymbol}`)
        : undefined)
    );
  }
}
