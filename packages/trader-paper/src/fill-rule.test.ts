import type { Side } from "@engine/core";
import { sampleQuote, sampleSignal } from "@engine/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchPrice } from "./fill-rule.js";
import { limitPriceOf } from "./limit-price.js";

const TICK = 0.05;

describe("matchPrice (the paper fill rule)", () => {
  // side, limit, quote (bid/ask or last only), slippage bps → fill price or null (rests)
  it.each([
    ["BUY", 2500, { bestBid: 2499.95, bestAsk: 2500 }, 0, 2500],
    ["BUY", 2500, { bestBid: 2499.95, bestAsk: 2500.05 }, 0, null],
    ["BUY", 2500, { bestBid: 2499.9, bestAsk: 2499.95 }, 0, 2499.95],
    ["BUY", 2500, { lastPrice: 2500 }, 0, 2500],
    ["BUY", 2500, { lastPrice: 2500.05 }, 0, null],
    // Depth decides when there is depth, whatever the last price.
    ["BUY", 2500, { lastPrice: 2499, bestBid: 2500, bestAsk: 2500.05 }, 0, null],
    ["SELL", 2500, { bestBid: 2500, bestAsk: 2500.05 }, 0, 2500],
    ["SELL", 2500, { bestBid: 2499.95, bestAsk: 2500 }, 0, null],
    ["SELL", 2500, { bestBid: 2500.1, bestAsk: 2500.15 }, 0, 2500.1],
    ["SELL", 2500, { lastPrice: 2500 }, 0, 2500],
    ["SELL", 2500, { lastPrice: 2499.95 }, 0, null],
    // Slippage applies, but never past the limit.
    ["BUY", 2500, { bestAsk: 2499 }, 2, 2499.5],
    ["BUY", 2500, { bestAsk: 2499.9 }, 10, 2500],
    ["SELL", 2500, { bestBid: 2501 }, 2, 2500.45],
    ["SELL", 2500, { bestBid: 2500.1 }, 10, 2500],
  ] as const)(
    "a %s limit %d against %o with %d bps fills at %s",
    (side, limit, quote, bps, expected) => {
      const price = matchPrice({
        side,
        quote: sampleQuote(quote),
        limitPrice: limit,
        slippageBps: bps,
        tickSize: TICK,
      });
      expect(price).toBe(expected);
    },
  );

  it.each([
    ["BUY", { bestAsk: 2500.8 }, 2500.8],
    ["SELL", { bestBid: 2500.7 }, 2500.7],
    ["BUY", {}, 2500.75],
  ] as const)("fills a %s market order at the touch (%o)", (side, quote, expected) => {
    const price = matchPrice({
      side,
      quote: sampleQuote(quote),
      limitPrice: null,
      slippageBps: 0,
      tickSize: TICK,
    });
    expect(price).toBe(expected);
  });

  // An upper circuit: buyers only. A lower circuit: sellers only. The last price says nothing then.
  const upperCircuit = { lastPrice: 2750.5, bestBid: 2750.5, bestAsk: null, hasDepth: true };
  const lowerCircuit = { lastPrice: 2250.5, bestBid: null, bestAsk: 2250.5, hasDepth: true };
  it.each([
    ["BUY", null, upperCircuit, null],
    ["BUY", 2800, upperCircuit, null],
    ["SELL", null, upperCircuit, 2750.5],
    ["SELL", null, lowerCircuit, null],
    ["SELL", 2200, lowerCircuit, null],
    ["BUY", null, lowerCircuit, 2250.5],
    // No depth in the tick at all: the last price stands in for the touch.
    ["BUY", null, { lastPrice: 2750.5, hasDepth: false }, 2750.5],
  ] as const)("a %s (limit %s) against a book %o fills at %s", (side, limit, quote, expected) => {
    const price = matchPrice({
      side,
      quote: sampleQuote(quote),
      limitPrice: limit,
      slippageBps: 0,
      tickSize: TICK,
    });
    expect(price).toBe(expected);
  });

  it("never fills a limit order at a worse price than its limit, and fills every touch it reaches", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Side>("BUY", "SELL"),
        fc.integer({ min: 1, max: 200_000 }),
        fc.integer({ min: -50, max: 50 }),
        fc.double({ min: 0, max: 200, noNaN: true }),
        (side, limitTicks, offsetTicks, bps) => {
          const limit = Number((limitTicks * TICK).toFixed(2));
          const touch = Number(((limitTicks + offsetTicks) * TICK).toFixed(2));
          if (touch <= 0) return;
          const quote = sampleQuote(side === "BUY" ? { bestAsk: touch } : { bestBid: touch });
          const price = matchPrice({
            side,
            quote,
            limitPrice: limit,
            slippageBps: bps,
            tickSize: TICK,
          });
          const reaches = side === "BUY" ? touch <= limit : touch >= limit;
          expect(price !== null).toBe(reaches);
          if (price === null) return;
          if (side === "BUY") expect(price).toBeLessThanOrEqual(limit);
          else expect(price).toBeGreaterThanOrEqual(limit);
          expect(Math.abs(price * 20 - Math.round(price * 20))).toBeLessThan(1e-6);
        },
      ),
    );
  });
});

describe("limitPriceOf", () => {
  it.each([
    ["BUY", 2501.57, 2501.55],
    ["SELL", 2501.57, 2501.6],
    ["BUY", 2501.5, 2501.5],
    ["SELL", 2501.5, 2501.5],
  ] as const)("rounds a %s at %d to %d, on the passive side of the grid", (side, price, limit) => {
    const signal = sampleSignal({ signalType: side, validatedPrice: price });
    expect(limitPriceOf(signal, TICK)).toEqual({ ok: true, price: limit });
  });

  it("takes the validated price over the strategy's, and the strategy's when none was validated", () => {
    expect(limitPriceOf(sampleSignal({ price: 2600, validatedPrice: 2550 }), TICK)).toEqual({
      ok: true,
      price: 2550,
    });
    expect(limitPriceOf(sampleSignal({ price: 2600, validatedPrice: null }), TICK)).toEqual({
      ok: true,
      price: 2600,
    });
  });

  it.each([
    ["no price at all", { price: null, validatedPrice: null }],
    ["a negative price", { validatedPrice: -1 }],
    ["a BUY below one tick", { validatedPrice: 0.03 }],
  ])("refuses %s", (_, options) => {
    expect(limitPriceOf(sampleSignal(options), TICK).ok).toBe(false);
  });
});
