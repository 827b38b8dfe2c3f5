import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeClockEmulator, startOnFakeClock } from "./test-support/fake-clock-emulator.js";
import { marketOrder, type OrderParams, rejectionOf } from "./test-support/kite-client.js";

let broker: FakeClockEmulator;

beforeEach(async () => {
  broker = await startOnFakeClock();
});

afterEach(async () => {
  await broker.emulator.stop();
});

/** A BUY LIMIT order far below RELIANCE's 1425.30, so it rests OPEN. */
function restingLimit(tag: string): OrderParams {
  return marketOrder({ tradingsymbol: "RELIANCE", order_type: "LIMIT", price: 1000, tag });
}

describe("rate limiting", () => {
  it("answers 429 past 10 placements in a second and records the attempted peak", async () => {
    const { emulator, kite } = broker;
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        kite.placeOrder("regular", marketOrder({ tag: `burst${i}` })),
      ),
    );
    const rejected = results.filter((result) => result.status === "rejected");
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(10);
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toMatchObject({
      reason: { error_type: "NetworkException", message: "Too many requests" },
    });
    const stats = emulator.stats();
    expect(stats).toMatchObject({
      placements: 10,
      placementRequests: 12,
      rateLimited: 2,
      maxPlacementsInAnySecond: 12,
    });
    expect(Object.values(stats.ordersByTag).reduce((a, b) => a + b, 0)).toBe(10);
    expect(stats.requestsByPath["POST /orders/:variety"]).toBe(12);
  });

  it("admits placements again once the one-second window has moved on", async () => {
    const { emulator, kite, advance } = broker;
    for (let i = 0; i < 10; i++) await kite.placeOrder("regular", marketOrder());
    expect((await rejectionOf(kite.placeOrder("regular", marketOrder()))).error_type).toBe(
      "NetworkException",
    );
    advance(1_001);
    await expect(kite.placeOrder("regular", marketOrder())).resolves.toHaveProperty("order_id");
    expect(emulator.stats().maxPlacementsInAnySecond).toBe(11);
  });
});

describe("one order budget for place, modify and cancel", () => {
  it("counts cancellations and modifications in the 10-a-second order window", async () => {
    const { emulator, kite, advance } = broker;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await kite.placeOrder("regular", restingLimit(`rest${i}`))).order_id);
    }
    for (const id of ids.slice(0, 3)) await kite.cancelOrder("regular", id);
    for (const price of [1001, 1002, 1003]) {
      await kite.modifyOrder("regular", ids[3] ?? "", { price });
    }
    // 4 placements + 3 cancels + 3 modifications fill the second: every kind is refused now.
    for (const refused of [
      kite.cancelOrder("regular", ids[3] ?? ""),
      kite.modifyOrder("regular", ids[3] ?? "", { price: 1004 }),
      kite.placeOrder("regular", restingLimit("late")),
    ]) {
      expect(await rejectionOf(refused)).toEqual({
        status: "error",
        message: "Too many requests",
        error_type: "NetworkException",
        data: null,
      });
    }
    expect(emulator.orderHistory(ids[3] ?? "")?.at(-1)).toMatchObject({
      status: "OPEN",
      price: 1003,
    });
    expect(emulator.stats()).toMatchObject({
      placementRequests: 5,
      placements: 4,
      cancelRequests: 4,
      cancellations: 3,
      modifyRequests: 4,
      modifications: 3,
      rateLimited: 3,
      maxPlacementsInAnySecond: 5,
      maxOrderRequestsInAnySecond: 13,
    });

    advance(1_000);
    await expect(kite.cancelOrder("regular", ids[3] ?? "")).resolves.toEqual({
      order_id: ids[3],
    });
    expect(emulator.stats().cancellations).toBe(4);
  });

  it("shares the 400-a-minute window too", async () => {
    const { emulator, kite, advance } = await startOnFakeClock({ ordersPerMinute: 3 });
    try {
      const { order_id } = await kite.placeOrder("regular", restingLimit("m1"));
      advance(1_000);
      await kite.modifyOrder("regular", order_id, { price: 1001 });
      advance(1_000);
      await kite.cancelOrder("regular", order_id);
      advance(1_000);
      expect((await rejectionOf(kite.placeOrder("regular", restingLimit("m2")))).message).toBe(
        "Too many requests",
      );
      advance(57_001);
      await expect(kite.placeOrder("regular", restingLimit("m3"))).resolves.toHaveProperty(
        "order_id",
      );
    } finally {
      await emulator.stop();
    }
  });

  it("counts a cancel of an order that cannot be cancelled, as Kite counts the request", async () => {
    const { emulator, kite } = broker;
    const { order_id } = await kite.placeOrder("regular", marketOrder());
    expect((await rejectionOf(kite.cancelOrder("regular", order_id))).error_type).toBe(
      "InputException",
    );
    expect(emulator.stats()).toMatchObject({
      cancelRequests: 1,
      cancellations: 0,
      maxOrderRequestsInAnySecond: 2,
    });
  });
});

describe("request rates per route", () => {
  it("reports the most requests in any sliding second per route, for several routes, and overall", async () => {
    const { emulator, kite, advance } = broker;
    const { order_id } = await kite.placeOrder("regular", marketOrder());
    for (let i = 0; i < 3; i++) await kite.getOrders();
    advance(500);
    await kite.getOrderHistory(order_id);
    await kite.getOrderTrades(order_id);
    advance(500); // the placement and the first three reads have left the window
    await kite.getOrders();
    advance(2_000);
    await kite.getOrders();

    const reads = ["GET /orders", "GET /orders/:order_id", "GET /orders/:order_id/trades"];
    expect(emulator.maxRequestsInAnySecond("GET /orders")).toBe(3);
    expect(emulator.maxRequestsInAnySecond(["GET /orders/:order_id"])).toBe(1);
    expect(emulator.maxRequestsInAnySecond(reads)).toBe(5);
    expect(emulator.maxRequestsInAnySecond(["GET /orders/:order_id", "GET /orders"])).toBe(4);
    expect(emulator.maxRequestsInAnySecond()).toBe(6);
    expect(emulator.maxRequestsInAnySecond("GET /user/profile")).toBe(0);
    expect(emulator.stats()).toMatchObject({
      maxRequestsInAnySecond: 6,
      maxRequestsInAnySecondByPath: {
        "GET /orders": 3,
        "GET /orders/:order_id": 1,
        "GET /orders/:order_id/trades": 1,
        "POST /orders/:variety": 1,
      },
    });
    emulator.reset();
    expect(emulator.maxRequestsInAnySecond(reads)).toBe(0);
  });
});
