import { checkPreTrade, NO_PRE_TRADE_LIMITS, type PreTradeUsage } from "@engine/core";
import { describe, expect, it } from "vitest";
import { embeddedDatabaseForFile } from "../test-support/service-testbed.js";
import { SharedOrderUsage } from "./shared-order-usage.js";

const opened = embeddedDatabaseForFile();

const T0 = Date.parse("2026-03-02T04:00:00Z");
const ORDER = { quantity: 2, price: 100, lastPrice: 100 };

function judgeWith(limits: Partial<typeof NO_PRE_TRADE_LIMITS>) {
  return (usage: PreTradeUsage) =>
    checkPreTrade({ ...NO_PRE_TRADE_LIMITS, ...limits }, ORDER, usage);
}

describe("SharedOrderUsage", () => {
  it("lets two instances on one database together through at most a strategy's orders per day", async () => {
    const instances = [1, 2].map(() => new SharedOrderUsage({ database: opened() }));
    const judge = judgeWith({ maxOrdersPerDay: 5 });
    const verdicts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        instances[i % 2]?.admit("zerodha", "day_s", T0 + i, judge),
      ),
    );
    expect(verdicts.filter((v) => v?.kind === "pass")).toHaveLength(5);
    const refused = verdicts.find((v) => v?.kind === "refuse");
    expect(refused).toMatchObject({ rule: "max_orders_per_day" });
    // Another strategy, and the same one on another namespace, count on their own.
    expect(await instances[0]?.admit("zerodha", "day_t", T0, judge)).toMatchObject({
      kind: "pass",
    });
    expect(await instances[1]?.admit("upstox", "day_s", T0, judge)).toMatchObject({ kind: "pass" });
    // The next IST day starts from zero (IST midnight is 18:30 UTC).
    const nextDay = Date.parse("2026-03-02T18:30:00Z");
    expect(await instances[1]?.admit("zerodha", "day_s", nextDay, judge)).toMatchObject({
      kind: "pass",
    });
  });

  it("counts the minute as (at - 60 s, at] and the day's notional across instances, exactly at the boundary", async () => {
    const [a, b] = [1, 2].map(() => new SharedOrderUsage({ database: opened() }));
    if (!a || !b) throw new Error("no instances");
    const perMinute = judgeWith({ maxOrdersPerMinute: 2 });
    expect(await a.admit("zerodha", "min_s", T0, perMinute)).toMatchObject({ kind: "pass" });
    expect(await b.admit("zerodha", "min_s", T0 + 1_000, perMinute)).toMatchObject({
      kind: "pass",
    });
    expect(await a.admit("zerodha", "min_s", T0 + 59_999, perMinute)).toMatchObject({
      rule: "max_orders_per_minute",
    });
    // At T0 + 60 s the first order is out of the window: room for one.
    expect(await b.admit("zerodha", "min_s", T0 + 60_000, perMinute)).toMatchObject({
      kind: "pass",
    });

    // Each order is 2 × 100 = 200: a daily notional of 600 lets three through, whoever sends.
    const notional = judgeWith({ maxDailyNotional: 600 });
    const results = [];
    for (let i = 0; i < 4; i++) {
      results.push(await (i % 2 === 0 ? a : b).admit("zerodha", "notional_s", T0 + i, notional));
    }
    expect(results.map((r) => r.kind)).toEqual(["pass", "pass", "pass", "refuse"]);
  });

  it("counts an order stamped ahead by an instance whose clock runs fast", async () => {
    const [slow, fast] = [1, 2].map(() => new SharedOrderUsage({ database: opened() }));
    if (!slow || !fast) throw new Error("no instances");
    const perMinute = judgeWith({ maxOrdersPerMinute: 1 });
    // The fast instance's clock is 2 s ahead: its order is stamped after the slow one's "now".
    expect(await fast.admit("zerodha", "skew_s", T0 + 2_000, perMinute)).toMatchObject({
      kind: "pass",
    });
    expect(await slow.admit("zerodha", "skew_s", T0, perMinute)).toMatchObject({
      rule: "max_orders_per_minute",
    });
  });
});
