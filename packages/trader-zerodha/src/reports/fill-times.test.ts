import { describe, expect, it } from "vitest";
import { KiteTradeListSchema } from "../kite/order-state.js";
import { FillTimeCache, lastFillTimes } from "./fill-times.js";

describe("lastFillTimes", () => {
  it("keeps each order's latest fill, reading Kite's IST times", () => {
    const trades = KiteTradeListSchema.parse([
      { order_id: "1", fill_timestamp: "2026-12-01 09:15:02" },
      { order_id: "1", fill_timestamp: "2026-12-01 09:16:40" },
      { order_id: "2", fill_timestamp: null, exchange_timestamp: "2026-12-01 10:00:00" },
      { order_id: "3", fill_timestamp: "not a time" },
      { order_id: 4, fill_timestamp: "2026-12-01 09:20:00" },
    ]);
    expect(Object.fromEntries(lastFillTimes(trades))).toEqual({
      "1": Date.parse("2026-12-01T03:46:40Z"),
      "2": Date.parse("2026-12-01T04:30:00Z"),
      "4": Date.parse("2026-12-01T03:50:00Z"),
    });
  });
});

describe("FillTimeCache", () => {
  it("forgets the oldest past its capacity", () => {
    const cache = new FillTimeCache(2);
    cache.remember("a", 1);
    cache.remember("b", 2);
    cache.remember("c", 3);
    expect([cache.get("a"), cache.get("b"), cache.get("c"), cache.size]).toEqual([
      undefined,
      2,
      3,
      2,
    ]);
  });
});
