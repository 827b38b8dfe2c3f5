import type { MarketQuote, Side } from "@engine/core";
import { toGrid } from "./tick-grid.js";

/** What a market fill's price is computed from: the side, the quote it fills against, slippage. */
export interface FillPriceInput {
  side: Side;
  quote: MarketQuote;
  /** Adverse move in basis points: a BUY pays more, a SELL receives less. */
  slippageBps: number;
  /** Price grid to land on, e.g. 0.05 for NSE equities. */
  tickSize: number;
}

/**
 * The simulated fill price of a market order: the touch when the tick carried depth (best ask for
 * a BUY, best bid for a SELL), the last price otherwise, moved against the trader by the slippage
 * and rounded to the tick grid away from the trader, so rounding never undoes slippage. Whether
 * the order fills at all (not against an empty side of the book) is `matchPrice`'s to say.
 */
export function fillPrice(input: FillPriceInput): number {
  const { side, quote } = input;
  const touch = side === "BUY" ? quote.bestAsk : quote.bestBid;
  return slippedPrice(side, touch ?? quote.lastPrice, input.slippageBps, input.tickSize);
}

/**
 * `reference` moved against the trader by `slippageBps` basis points and rounded to the tick grid
 * away from the trader (up for a BUY, down for a SELL).
 */
export function slippedPrice(
  side: Side,
  reference: number,
  slippageBps: number,
  tickSize: number,
): number {
  return side === "BUY"
    ? toGrid(reference * (1 + slippageBps / 10_000), tickSize, "up")
    : toGrid(reference * (1 - slippageBps / 10_000), tickSize, "down");
}
