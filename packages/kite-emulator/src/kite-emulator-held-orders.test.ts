import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import type { KiteEmulator } from "./kite-emulator.js";
import { startOnFakeClock } from "./test-support/fake-clock-emulator.js";
import { historyOf, type Kite, marketOrder } from "./test-support/kite-client.js";

let emulator: KiteEmulator;
let kite: Kite;
let advance: (ms: number) => void;

/** Order states as `GET /orders` returns them through the client. */
interface Listed {
  order_id: string;
  status: string;
  filled_quantity: number;
  pending_quantity: number;
  cancelled_quantity: number;
}

async function listed(): Promise<Listed[]> {
  return (await kite.getOrders()) as unknown as Listed[];
}

async function admin(path: string, body: unknown): Promise<Response> {
  return fetch(`${emulator.url}/__emulator/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

beforeEach(async () => {
  ({ emulator, kite, advance } = await startOnFakeClock({
    fillDelayMs: 100,
    availableMargin: 100_000,
  }));
});

afterEach(async () => {
  await emulator.stop();
});

describe("holding orders open at the broker", () => {
  it("keeps MARKET orders OPEN while held, and completes them once released", async () => {
    emulator.setFills({ hold: true });
    const a = await kite.placeOrder("regular", marketOrder({ tag: "held1" }));
    const b = await kite.placeOrder("regular", marketOrder({ tag: "held2" }));
    advance(3_600_000);
    expect((await listed()).map((order) => [order.status, order.filled_quantity])).toEqual([
      ["OPEN", 0],
      ["OPEN", 0],
    ]);
    expect(emulator.stats()).toMatchObject({ ordersHeld: 2, ordersByStatus: { OPEN: 2 } });

    expect(emulator.releaseOrders([b.order_id])).toEqual([b.order_id]);
    expect((await historyOf(kite, b.order_id)).at(-1)?.status).toBe("COMPLETE");
    expect((await historyOf(kite, a.order_id)).at(-1)?.status).toBe("OPEN");
    expect(emulator.releaseOrders()).toEqual([a.order_id]);
    expect((await listed()).map((order) => order.status)).toEqual(["COMPLETE", "COMPLETE"]);
    expect(emulator.stats().ordersHeld).toBe(0);
  });

  it("holds an order partly filled and cancels it as Kite does", async () => {
    emulator.setFills({ fillSteps: 2, hold: true, holdAfterFills: 1 });
    const { order_id } = await kite.placeOrder(
      "regular",
      marketOrder({ tradingsymbol: "SBIN", quantity: 10 }),
    );
    advance(60_000);
    expect((await historyOf(kite, order_id)).at(-1)).toMatchObject({
      status: "OPEN",
      filled_quantity: 5,
      pending_quantity: 5,
    });
    const margins = async () =>
      ((await kite.getMargins("equity")) as unknown as { net: number }).net;
    expect(await margins()).toBeCloseTo(100_000 - 10 * 820.45, 2);

    await expect(kite.cancelOrder("regular", order_id)).resolves.toEqual({ order_id });
    const history = await historyOf(kite, order_id);
    expect(history.slice(-2).map((state) => state.status)).toEqual(["CANCEL PENDING", "CANCELLED"]);
    expect(history.at(-1)).toMatchObject({
      filled_quantity: 5,
      cancelled_quantity: 5,
      pending_quantity: 0,
      average_price: 820.45,
    });
    expect(await margins()).toBeCloseTo(100_000 - 5 * 820.45, 2);
    expect(await kite.getOrderTrades(order_id)).toHaveLength(1);
    expect(emulator.releaseOrders()).toEqual([]);
    expect(emulator.stats()).toMatchObject({ ordersHeld: 0, cancellations: 1 });
  });

  it("affects only orders placed while the hold is on", async () => {
    emulator.setFills({ hold: true });
    const held = await kite.placeOrder("regular", marketOrder());
    emulator.setFills({ hold: false });
    const free = await kite.placeOrder("regular", marketOrder());
    advance(100);
    expect((await historyOf(kite, held.order_id)).at(-1)?.status).toBe("OPEN");
    expect((await historyOf(kite, free.order_id)).at(-1)?.status).toBe("COMPLETE");
  });

  it("refuses a hold point at or past the last fill", () => {
    expect(() => emulator.setFills({ hold: true, holdAfterFills: 1 })).toThrow(ZodError);
    emulator.setFills({ fillSteps: 3, hold: true, holdAfterFills: 2 });
    expect(() => emulator.setFills({ fillSteps: 2 })).toThrow(/holdAfterFills must be below/);
  });

  it("is driven from another process through /__emulator/fills and /__emulator/release", async () => {
    const refused = await admin("fills", { hold: true, holdAfterFills: 1 });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain("holdAfterFills");

    const set = await admin("fills", { fillSteps: 2, hold: true, holdAfterFills: 1 });
    expect(await set.json()).toEqual({
      fillDelayMs: 100,
      fillSteps: 2,
      hold: true,
      holdAfterFills: 1,
    });
    const first = await kite.placeOrder("regular", marketOrder({ quantity: 2 }));
    const second = await kite.placeOrder("regular", marketOrder({ quantity: 2 }));
    advance(1_000);
    expect((await listed()).map((order) => order.filled_quantity)).toEqual([1, 1]);

    const one = await admin("release", { order_ids: [second.order_id] });
    expect(await one.json()).toEqual({ released: [second.order_id] });
    expect(await (await admin("release", {})).json()).toEqual({ released: [first.order_id] });
    advance(100);
    expect((await listed()).map((order) => order.status)).toEqual(["COMPLETE", "COMPLETE"]);
    expect((await admin("release", { order_ids: "all" })).status).toBe(400);
  });

  it("goes back to no hold on reset", async () => {
    emulator.setFills({ hold: true });
    emulator.reset();
    const { order_id } = await kite.placeOrder("regular", marketOrder());
    advance(100);
    expect((await historyOf(kite, order_id)).at(-1)?.status).toBe("COMPLETE");
  });

  it("serves a day's book of 1,000 held orders in one GET /orders", async () => {
    const { emulator: big, kite: client } = await startOnFakeClock({
      ordersPerSecond: 0,
      ordersPerMinute: 0,
    });
    try {
      big.setFills({ hold: true });
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            client.placeOrder("regular", marketOrder({ tag: `o${batch}x${i}` })),
          ),
        );
      }
      const book = (await client.getOrders()) as unknown as Listed[];
      expect(book).toHaveLength(1_000);
      expect(new Set(book.map((order) => order.status))).toEqual(new Set(["OPEN"]));
      expect(big.releaseOrders()).toHaveLength(1_000);
      expect(big.stats().ordersByStatus).toEqual({ COMPLETE: 1_000 });
    } finally {
      await big.stop();
    }
  });
});
