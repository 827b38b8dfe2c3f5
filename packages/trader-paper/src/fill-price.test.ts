import { sampleQuote } from "@engine/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fillPrice } from "./fill-price.js";

describe("fillPrice", () => {
  it("never fills a BUY below, or a SELL above, the reference price", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        (ticks, bps) => {
          const quote = sampleQuote({ lastPrice: Math.round(ticks * 5) / 100 });
          const buy = fillPrice({ side: "BUY", quote, slippageBps: bps, tickSize: 0.05 });
          const sell = fillPrice({ side: "SELL", quote, slippageBps: bps, tickSize: 0.05 });
          expect(buy).toBeGreaterThanOrEqual(quote.lastPrice * (1 + bps / 10_000) - 1e-9);
          expect(sell).toBeLessThanOrEqual(quote.lastPrice * (1 - bps / 10_000) + 1e-9);
          // On the 0.05 grid, to the paisa.
          expect(Math.abs(buy * 20 - Math.round(buy * 20))).toBeLessThan(1e-6);
          expect(Math.abs(sell * 20 - Math.round(sell * 20))).toBeLessThan(1e-6);
        },
      ),
    );
  });

  it("keeps a price already on the grid when there is no slippage", () => {
    const quote = sampleQuote({ lastPrice: 2500.75 });
    expect(fillPrice({ side: "BUY", quote, slippageBps: 0, tickSize: 0.05 })).toBe(2500.75);
    expect(fillPrice({ side: "SELL", quote, slippageBps: 0, tickSize: 0.05 })).toBe(2500.75);
  });
});
