import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeClockEmulator, startOnFakeClock } from "./test-support/fake-clock-emulator.js";
import { historyOf, marketOrder, rejectionOf } from "./test-support/kite-client.js";

let broker: FakeClockEmulator;

beforeEach(async () => {
  broker = await startOnFakeClock({ orderBookLagMs: 500 });
});

afterEach(async () => {
  await broker.emulator.stop();
});

async function listedTags(): Promise<(string | null)[]> {
  const orders = (await broker.kite.getOrders()) as unknown as { tag: string | null }[];
  return orders.map((order) => order.tag);
}

describe("order-book lag", () => {
  it("leaves a new order out of GET /orders and GET /trades for the lag, while history and its trades know it", async () => {
    const { emulator, kite, advance } = broker;
    emulator.setFaults({ orderBookLagMs: 1_200 });
    const { order_id } = await kite.placeOrder("regular", marketOrder({ tag: "lag1" }));
    expect(await kite.getOrders()).toEqual([]);
    expect(await kite.getTrades()).toEqual([]);
    expect((await historyOf(kite, order_id)).at(-1)?.status).toBe("COMPLETE");
    expect(await kite.getOrderTrades(order_id)).toHaveLength(1);
    advance(1_199);
    expect(await kite.getOrders()).toEqual([]);
    advance(1);
    expect(await kite.getOrders()).toEqual([expect.objectContaining({ order_id, tag: "lag1" })]);
    expect(await kite.getTrades()).toEqual([expect.objectContaining({ order_id })]);
    // The emulator's own view is never lagged.
    expect(emulator.orders()).toHaveLength(1);
  });

  it("lets cancel reach an order the book does not show yet", async () => {
    const { emulator, kite } = broker;
    emulator.setFills({ hold: true });
    const { order_id } = await kite.placeOrder("regular", marketOrder({ tag: "lag2" }));
    expect(await kite.getOrders()).toEqual([]);
    await expect(kite.cancelOrder("regular", order_id)).resolves.toEqual({ order_id });
    expect((await historyOf(kite, order_id)).at(-1)?.status).toBe("CANCELLED");
  });

  it("takes the lag as a constructor option, which null and clearFaults come back to", async () => {
    const { emulator, kite, advance } = broker;
    expect(emulator.faults().orderBookLagMs).toBe(500);
    await kite.placeOrder("regular", marketOrder({ tag: "first" }));
    emulator.setFaults({ orderBookLagMs: 0 });
    await kite.placeOrder("regular", marketOrder({ tag: "second" }));
    // The lag is the one in force at each placement.
    expect(await listedTags()).toEqual(["second"]);
    advance(500);
    expect(await listedTags()).toEqual(["first", "second"]);
    emulator.setFaults({ orderBookLagMs: null });
    expect(emulator.faults().orderBookLagMs).toBe(500);
    emulator.setFaults({ orderBookLagMs: 50 });
    emulator.clearFaults();
    expect(emulator.faults().orderBookLagMs).toBe(500);
    emulator.setFaults({ orderBookLagMs: 50 });
    emulator.reset();
    expect(emulator.faults().orderBookLagMs).toBe(500);
  });

  it("plays issue 10's input: a 502 that went through, and a book 1.2 s behind", async () => {
    const { emulator, kite, advance } = broker;
    emulator.setFaults({
      orderBookLagMs: 1_200,
      orderSystemDown: { next: 1, status: 502, afterCreate: true },
    });
    const reason = await rejectionOf(kite.placeOrder("regular", marketOrder({ tag: "sig7" })));
    expect(reason.error_type).toBe("NetworkException");
    advance(1_000); // a reconciliation one second later finds nothing
    expect(await listedTags()).toEqual([]);
    advance(200);
    expect(await listedTags()).toEqual(["sig7"]);
  });
});
