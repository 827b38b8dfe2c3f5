import type { Instrument } from "./instrument.js";

/** Options of {@link generateSyntheticInstruments}. */
export interface SyntheticInstrumentOptions {
  /** Exchange of the generated rows; default `NSE`. */
  exchange?: string;
  /** First instrument token; default 900000000, far from real NSE tokens. */
  firstToken?: number;
}

/**
 * Generates `count` deterministic equity rows (`SYN0000001`, ...) for scale tests, such as
 * serving a dump of about 100k rows.
 */
export function generateSyntheticInstruments(
  count: number,
  options: SyntheticInstrumentOptions = {},
): Instrument[] {
  const exchange = options.exchange ?? "NSE";
  const firstToken = options.firstToken ?? 900_000_000;
  const rows: Instrument[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const token = firstToken + i;
    rows[i] = {
      instrument_token: token,
      exchange_token: token >> 8,
      tradingsymbol: `SYN${String(i + 1).padStart(7, "0")}`,
      name: `SYNTHETIC ${i + 1}`,
      // Deterministic, varied prices on the 0.05 tick.
      last_price: Math.round((100 + ((i * 37) % 4900)) * 20) / 20,
      expiry: "",
      strike: 0,
      tick_size: 0.05,
      lot_size: 1,
      instrument_type: "EQ",
      segment: exchange,
      exchange,
    };
  }
  return rows;
}
