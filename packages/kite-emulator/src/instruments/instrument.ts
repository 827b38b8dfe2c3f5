import { z } from "zod";

/**
 * One row of Kite's instrument dump, with the columns in Kite's order.
 * `expiry` is `YYYY-MM-DD` or empty, as in the CSV.
 */
export const InstrumentSchema = z.object({
  instrument_token: z.number().int().nonnegative(),
  exchange_token: z.number().int().nonnegative(),
  tradingsymbol: z.string().min(1),
  name: z.string(),
  last_price: z.number().nonnegative(),
  expiry: z.string(),
  strike: z.number().nonnegative(),
  tick_size: z.number().positive(),
  lot_size: z.number().int().positive(),
  instrument_type: z.string(),
  segment: z.string(),
  exchange: z.string().min(1),
});

/** An instrument the emulator can trade and list. */
export type Instrument = z.infer<typeof InstrumentSchema>;

/** Column order of `GET /instruments`, exactly as Kite sends it. */
export const INSTRUMENT_COLUMNS = [
  "instrument_token",
  "exchange_token",
  "tradingsymbol",
  "name",
  "last_price",
  "expiry",
  "strike",
  "tick_size",
  "lot_size",
  "instrument_type",
  "segment",
  "exchange",
] as const satisfies readonly (keyof Instrument)[];
