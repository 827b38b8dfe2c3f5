/** What the trader needs of a Kite instrument to place an order on it. */
export interface Instrument {
  /** Kite's instrument_token: the key signals carry. Reused by Kite after contracts expire. */
  token: number;
  exchange: string;
  tradingsymbol: string;
  /** Orders must be a multiple of it (1 for equities, the contract size for derivatives). */
  lotSize: number;
  /** The price grid; limit prices are rounded to it. */
  tickSize: number;
}
