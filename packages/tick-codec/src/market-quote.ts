/**
 * What the engine keeps of a market tick: the price, and the top of the book when present. The
 * fields of a `market_tick` payload (`../shared/contract/`): `instrument_token` (Kite's), prices
 * in rupees, the tick's `timestamp` as sent.
 */
export interface MarketQuote {
  instrumentToken: number;
  lastPrice: number;
  /** Best bid (highest buy price) from depth, when the tick carries depth. */
  bestBid: number | null;
  /** Best ask (lowest sell price) from depth, when the tick carries depth. */
  bestAsk: number | null;
  /**
   * Whether the tick carried depth (`data.depth` is an object). With depth, a null `bestAsk`
   * (`bestBid`) means the book shows no sellers (buyers) at all, as for a stock locked at its
   * upper (lower) circuit, where the feed sends empty or zero-padded levels; without depth, it
   * only means the tick did not say.
   */
  hasDepth: boolean;
  /** The tick's own timestamp (ISO-8601 with an offset, as sent), or null when absent. */
  timestamp: string | null;
}
