import { z } from "zod";

/**
 * What the platform knows of an instrument it trades, keyed by the `instrument_token` its signals
 * carry (Kite's). Brokers that name instruments differently map through the exchange's own token
 * (`exchange` + `exchangeToken`), never through a broker's symbol formatting.
 */
export const InstrumentInfoSchema = z.object({
  /** The platform's token (Kite's `instrument_token`). */
  instrumentToken: z.number().int().positive(),
  /** The exchange segment as Kite names it: `NSE`, `BSE`, `NFO`, `BFO`, `CDS`, `MCX`. */
  exchange: z.string().min(1),
  /** The exchange's own token of the instrument. */
  exchangeToken: z.number().int().positive(),
  /** The trading symbol as Kite writes it (`RELIANCE`, `NIFTY26DECFUT`). */
  tradingSymbol: z.string().min(1),
  /** Units per lot (1 for equity). */
  lotSize: z.number().int().positive(),
  /** Price step, in rupees (0.05 for most equity). */
  tickSize: z.number().positive(),
});
/** One instrument of the platform; see `InstrumentInfoSchema`. */
export type InstrumentInfo = z.infer<typeof InstrumentInfoSchema>;

/**
 * The platform's instrument registry (the design's `InstrumentRegistryService`): a trader that
 * needs to know what a signal's token is asks here, never another trader's tables. The engine
 * implements it.
 */
export interface InstrumentRegistry {
  /**
   * The instrument of a token, or null when the registry does not know it.
   * Rejects when the registry cannot be read (a database outage): not knowing is not absence.
   */
  lookup(instrumentToken: number): Promise<InstrumentInfo | null>;
}
