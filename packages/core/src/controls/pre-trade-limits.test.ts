import { describe, expect, it } from "vitest";
import { checkPreTrade, NO_PRE_TRADE_LIMITS, type PreTradeLimits } from "./pre-trade-limits.js";
import { type PreTradeSettings, preTradeLimitsFor } from "./pre-trade-settings.js";
import { reducesPosition } from "./reduce-only.js";

const IDLE = { ordersLastMinute: 0, ordersToday: 0, notionalToday: 0 };
const ORDER = { quantity: 10, price: 100, lastPrice: 100 };

function verdict(limits: Partial<PreTradeLimits>, order = {}, usage = {}) {
  return checkPreTrade(
    { ...NO_PRE_TRADE_LIMITS, ...limits },
    { ...ORDER, ...order },
    { ...IDLE, ...usage },
  );
}

describe("checkPreTrade", () => {
  it("passes everything with every rule off, valuing the order at the last price", () => {
    expect(verdict({}, { quantity: 1e9, price: 1 })).toEqual({ kind: "pass", notional: 1e11 });
  });

  // [rule, limits, at the boundary, one past it]
  it.each([
    [
      "max_order_quantity",
      { maxOrderQuantity: 10 },
      [{ quantity: 10 }, {}],
      [{ quantity: 11 }, {}],
    ],
    [
      "max_order_notional",
      { maxOrderNotional: 1000 },
      [{ quantity: 10 }, {}],
      [{ lastPrice: 100.01 }, {}],
    ],
    ["price_collar_pct", { priceCollarPct: 5 }, [{ price: 105 }, {}], [{ price: 94.99 }, {}]],
    [
      "max_orders_per_minute",
      { maxOrdersPerMinute: 3 },
      [{}, { ordersLastMinute: 2 }],
      [{}, { ordersLastMinute: 3 }],
    ],
    [
      "max_orders_per_day",
      { maxOrdersPerDay: 3 },
      [{}, { ordersToday: 2 }],
      [{}, { ordersToday: 3 }],
    ],
    [
      "max_daily_notional",
      { maxDailyNotional: 5000 },
      [{}, { notionalToday: 4000 }],
      [{}, { notionalToday: 4000.5 }],
    ],
  ] as const)("%s passes at its boundary and refuses one past it", (rule, limits, at, past) => {
    expect(verdict(limits, ...at).kind).toBe("pass");
    const refused = verdict(limits, ...past);
    expect(refused).toMatchObject({ kind: "refuse", rule });
    if (refused.kind === "refuse") expect(refused.message).toContain(rule);
  });

  it("values the order at the signal's price when no last price is known, and refuses when neither is", () => {
    expect(verdict({ maxOrderNotional: 1000 }, { lastPrice: null, price: 100 }).kind).toBe("pass");
    expect(verdict({ maxOrderNotional: 1000 }, { lastPrice: null, price: null })).toMatchObject({
      kind: "refuse",
      rule: "max_order_notional",
    });
  });

  it("does not collar a signal without a price", () => {
    expect(verdict({ priceCollarPct: 1 }, { price: null }).kind).toBe("pass");
  });

  it("refuses a priced order it cannot collar for want of a last price (fail closed)", () => {
    expect(verdict({ priceCollarPct: 10 }, { price: 20501.5, lastPrice: null })).toMatchObject({
      kind: "refuse",
      rule: "price_collar_pct",
    });
  });

  // Values exactly at the limit in decimal, a hair past it in binary floating point.
  it.each([
    ["a collar at 10 % above", { priceCollarPct: 10 }, { price: 2695.11, lastPrice: 2450.1 }, {}],
    ["a collar at 10 % below", { priceCollarPct: 10 }, { price: 630.63, lastPrice: 700.7 }, {}],
    ["an order notional", { maxOrderNotional: 0.3 }, { quantity: 3, lastPrice: 0.1 }, {}],
    [
      "a daily notional",
      { maxDailyNotional: 0.3 },
      { quantity: 1, lastPrice: 0.2 },
      { notionalToday: 0.1 },
    ],
  ])("passes %s exactly at its limit", (_name, limits, order, usage) => {
    expect(verdict(limits, order, usage).kind).toBe("pass");
  });
});

describe("preTradeLimitsFor", () => {
  // Every rule unset: the defaults decide.
  const unset = Object.fromEntries(
    Object.keys(NO_PRE_TRADE_LIMITS).map((rule) => [rule, null]),
  ) as PreTradeSettings["global"];

  it("gives a live namespace the live defaults and a simulated one nothing", () => {
    const settings = { global: unset, byNamespace: {} };
    expect(preTradeLimitsFor(settings, "zerodha", true)).toEqual({
      ...NO_PRE_TRADE_LIMITS,
      priceCollarPct: 10,
      maxOrdersPerMinute: 200,
    });
    expect(preTradeLimitsFor(settings, "paper", false)).toEqual(NO_PRE_TRADE_LIMITS);
  });

  it("lets the namespace override win over the engine-wide value, and 0 turn a default off", () => {
    const settings = {
      global: { ...unset, maxOrderQuantity: 100, priceCollarPct: 0 },
      byNamespace: { zerodha: { maxOrderQuantity: 5 } },
    };
    expect(preTradeLimitsFor(settings, "zerodha", true)).toMatchObject({
      maxOrderQuantity: 5,
      priceCollarPct: 0,
      maxOrdersPerMinute: 200,
    });
    expect(preTradeLimitsFor(settings, "paper", false).maxOrderQuantity).toBe(100);
  });
});

describe("reducesPosition", () => {
  it.each([
    [10, "SELL", 4, true],
    [10, "SELL", 10, true],
    [10, "SELL", 11, false],
    [10, "BUY", 1, false],
    [-10, "BUY", 10, true],
    [-10, "BUY", 11, false],
    [-10, "SELL", 1, false],
    [0, "SELL", 1, false],
    [0, "BUY", 1, false],
  ] as const)("net %d, %s %d: reduces %s", (net, side, quantity, reduces) => {
    expect(reducesPosition(net, side, quantity)).toBe(reduces);
  });
});
