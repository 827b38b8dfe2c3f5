import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type OrderSpec, orderParams, roundToTick } from "./order-params.js";

const spec: OrderSpec = {
  instrument: {
    token: 738561,
    exchange: "NSE",
    tradingsymbol: "RELIANCE",
    lotSize: 1,
    tickSize: 0.05,
  },
  side: "BUY",
  quantity: 10,
  product: "MIS",
  orderType: "MARKET",
  limitPrice: null,
  marketProtection: -1,
  tag: "eabc",
};

describe("orderParams", () => {
  it("builds a MARKET order with market protection and no price", () => {
    expect(orderParams(spec)).toEqual({
      exchange: "NSE",
      tradingsymbol: "RELIANCE",
      transaction_type: "BUY",
      quantity: 10,
      product: "MIS",
      order_type: "MARKET",
      validity: "DAY",
      market_protection: -1,
      tag: "eabc",
    });
  });

  it("builds a LIMIT order with its price and no market protection", () => {
    const params = orderParams({
      ...spec,
      orderType: "LIMIT",
      limitPrice: 1425.35,
      marketProtection: 5,
    });
    expect(params).toMatchObject({ order_type: "LIMIT", price: 1425.35 });
    expect(params).not.toHaveProperty("market_protection");
  });

  it("builds a fresh object every time (the client writes `variety` into it)", () => {
    const first = orderParams(spec);
    (first as unknown as Record<string, unknown>).variety = "regular";
    expect(orderParams(spec)).not.toHaveProperty("variety");
  });
});

describe("roundToTick", () => {
  it.each([
    [2501.37, 0.05, "BUY", 2501.35],
    [2501.37, 0.05, "SELL", 2501.4],
    [2501.35, 0.05, "BUY", 2501.35],
    [0.3, 0.1, "SELL", 0.3],
    [24150.55, 0.1, "BUY", 24150.5],
    [83.12345, 0.0025, "SELL", 83.125],
  ] as const)("%d on a %d tick for a %s is %d", (price, tick, side, expected) => {
    expect(roundToTick(price, tick, side)).toBe(expected);
  });

  it("always lands on the tick, on the passive side, within one tick", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }).map((cents) => cents / 100),
        fc.constantFrom(0.05, 0.1, 0.01, 0.0025, 1, 5),
        fc.constantFrom("BUY" as const, "SELL" as const),
        (price, tick, side) => {
          const rounded = roundToTick(price, tick, side);
          const ticks = rounded / tick;
          expect(Math.abs(ticks - Math.round(ticks))).toBeLessThan(1e-6);
          if (side === "BUY") expect(rounded).toBeLessThanOrEqual(price + 1e-9);
          else expect(rounded).toBeGreaterThanOrEqual(price - 1e-9);
          expect(Math.abs(rounded - price)).toBeLessThan(tick + 1e-9);
        },
      ),
    );
  });
});
