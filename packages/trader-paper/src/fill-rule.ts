import type { MarketQuote, Side } from "@engine/core";
import { slippedPrice } from "./fill-price.js";

/** What decides whether (and at what price) an order fills against one quote. */
export interface MatchInput {
  side: Side;
  quote: MarketQuote;
  /** The order's limit price, on the tick grid; null for a market order. */
  limitPrice: number | null;
  /** Adverse move in basis points (slippage plus the order's random spread). */
  slippageBps: number;
  tickSize: number;
}

/**
 * The price a BUY (SELL) meets in a quote: the best ask (best bid) when the tick carried depth,
 * the last price when it carried none, and null when its depth shows nobody on the other side
 * (no sellers for a BUY, as at an upper circuit; no buyers for a SELL): no order fills then.
 */
export function touchPrice(side: Side, quote: MarketQuote): number | null {
  const touch = side === "BUY" ? quote.bestAsk : quote.bestBid;
  if (touch !== null) return touch;
  return quote.hasDepth ? null : quote.lastPrice;
}

/**
 * The fill rule of the paper trader: the price an order fills at against `quote`, or null when it
 * does not fill now and rests. Nothing fills against a side of the book that is empty (see
 * `touchPrice`): a market order then rests too, as a protected market order does at a broker.
 *
 * A market order fills at the touch moved against it by the slippage (as `fillPrice`). A LIMIT BUY
 * fills only when the touch is at or below its limit (a SELL: at or above), at the touch with the
 * slippage, capped at the limit: a fill is never worse than the limit price.
 */
export function matchPrice(input: MatchInput): number | null {
  const { side, quote, limitPrice, tickSize } = input;
  const touch = touchPrice(side, quote);
  if (touch === null) return null;
  if (limitPrice === null) return slippedPrice(side, touch, input.slippageBps, tickSize);
  // A millionth of a tick: the float error of a price read from JSON, never a real tick.
  const tolerance = tickSize * 1e-6;
  if (side === "BUY" ? touch > limitPrice + tolerance : touch < limitPrice - tolerance) {
    return null;
  }
  const price = slippedPrice(side, touch, input.slippageBps, tickSize);
  return side === "BUY" ? Math.min(price, limitPrice) : Math.max(price, limitPrice);
}
