import type { MarketQuote } from "@engine/core";
import { FakeClock } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import { PriceCache } from "./price-cache.js";

const NOW = "2026-11-25T05:30:00.000Z";

function quote(timestamp: string | null, lastPrice = 100): MarketQuote {
  return {
    instrumentToken: 7,
    lastPrice,
    bestBid: null,
    bestAsk: null,
    hasDepth: false,
    timestamp,
  };
}

describe("PriceCache", () => {
  it("counts a quote's age from the tick's own timestamp when it has one", () => {
    const clock = new FakeClock(NOW);
    const prices = new PriceCache({ maxAgeMs: 60_000, clock });
    // Read just now, but the market saw it 61 s ago (a restart reading old ticks).
    prices.set(quote("2026-11-25T05:28:59.000Z"), clock.now());
    expect(prices.get(7)).toBeNull();
    prices.set(quote("2026-11-25T05:29:01.000+00:00", 101), clock.now());
    expect(prices.get(7)?.lastPrice).toBe(101);
  });

  it("counts from the record's time when the tick has no timestamp", () => {
    const clock = new FakeClock(NOW);
    const prices = new PriceCache({ maxAgeMs: 60_000, clock });
    const recordAt = String(Date.parse(NOW) - 30_000);
    prices.set(quote(null), recordAt);
    expect(prices.get(7)?.lastPrice).toBe(100);
    clock.advance(30_001);
    expect(prices.get(7)).toBeNull();
    prices.set(quote(null, 102), clock.now());
    expect(prices.get(7)?.lastPrice).toBe(102);
  });

  it("takes a quote whose own timestamp does not parse as stale: its age is unknown", () => {
    const clock = new FakeClock(NOW);
    const prices = new PriceCache({ maxAgeMs: 60_000, clock });
    prices.set(quote("not a time"), clock.now());
    expect(prices.get(7)).toBeNull();
  });

  it("takes a quote from ahead of the clock as fresh, and one with no time at all as stale", () => {
    const clock = new FakeClock(NOW);
    const prices = new PriceCache({ maxAgeMs: 1_000, clock });
    prices.set(quote("2026-11-25T05:35:00.000Z"), clock.now());
    expect(prices.get(7)).not.toBeNull();
    prices.set(quote(null), "");
    expect(prices.get(7)).toBeNull();
  });

  it("never ages quotes without a limit, and knows no instrument it has not seen", () => {
    const prices = new PriceCache();
    prices.set(quote("2000-01-01T00:00:00Z"), 0);
    expect(prices.get(7)?.lastPrice).toBe(100);
    expect(prices.get(8)).toBeNull();
    expect(prices.size).toBe(1);
  });
});
