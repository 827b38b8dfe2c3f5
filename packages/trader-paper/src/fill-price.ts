import type { MarketQuote, Side } from "@engine/core";

export interface FillPriceInput {
  side: Side;
  quote: MarketQuote;
  /** Adverse move in basis points: a BUY pays more, a SELL receives less. */
  slippageBps: number;
  /** Price grid to land on, e.g. 0.05 for NSE equities. */
  tickSize: number;
}

/** Tolerates the float error of `price / tick` without moving a price already on the grid. */
const GRID_EPSILON = 1e-9;

/**
 * The simulated fill price of a market order: the touch when the tick carried depth (best ask for
 * a BUY, best bid for a SELL), the last price otherwise, moved against the trader by the slippage
 * and rounded to the tick grid away from the trader, so rounding never undoes slippage.
 */
export function fillPrice(input: FillPriceInput): number {
  const { side, quote, slippageBps, tickSize } = input;
  const touch = side === "BUY" ? quote.bestAsk : quote.bestBid;
  const reference = touch ?? quote.lastPrice;
  const moved =
    side === "BUY"
      ? reference * (1 + slippageBps / 10_000)
      : reference * (1 - slippageBps / 10_000);
  const ticks = moved / tickSize;
  const onGrid =
    side === "BUY" ? Math.ceil(ticks - GRID_EPSILON) : Math.floor(ticks + GRID_EPSILON);
  return Math.round(onGrid * tickSize * 100) / 100;
}
