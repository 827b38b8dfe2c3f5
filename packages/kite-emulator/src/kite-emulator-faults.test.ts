import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KiteEmulator } from "./kite-emulator.js";
import { clientFor, type Kite, marketOrder, rejectionOf } from "./test-support/kite-client.js";

let emulator: KiteEmulator;
let kite: Kite;

beforeEach(async () => {
  emulator = new KiteEmulator({ fillDelayMs: 0, random: () => 0.05 });
  await emulator.start();
  kite = clientFor(emulator);
});

afterEach(async () => {
  await emulator.stop();
});

describe("injected 429s", () => {
  it("rejects with NetworkException 'Too Many Requests' for a plain-text 429, then recovers", async () => {
    emulator.setFaults({ tooManyRequests: { next: 1, format: "text" } });
    // Plain text has no error_type, so the client falls back to the HTTP status text.
    expect(await rejectionOf(kite.getProfile())).toEqual({
      message: "Too Many Requests",
      error_type: "NetworkException",
      data: null,
    });
    await expect(kite.getProfile()).resolves.toMatchObject({ user_id: "AB1234" });
    expect(emulator.stats().faultsInjected).toEqual({ tooManyRequests: 1 });
  });

  it("rejects with the JSON envelope for a JSON 429", async () => {
    emulator.setFaults({ tooManyRequests: { next: 1, format: "json" } });
    expect(await rejectionOf(kite.getOrders())).toEqual({
      status: "error",
      message: "Too many requests",
      error_type: "NetworkException",
      data: null,
    });
  });

  it("fires by probability from the injected random source", async () => {
    emulator.setFaults({ tooManyRequests: { probability: 0.1, placementsOnly: true } });
    await expect(kite.getProfile()).resolves.toBeDefined();
    expect((await rejectionOf(kite.placeOrder("regular", marketOrder()))).error_type).toBe(
      "NetworkException",
    );
    emulator.setFaults({ tooManyRequests: { probability: 0.01 } });
    await expect(kite.placeOrder("regular", marketOrder())).resolves.toHaveProperty("order_id");
  });
});

describe("order system down", () => {
  it.each([
    [502, "NetworkException"],
    [503, "NetworkException"],
    [504, "NetworkException"],
    [500, "GeneralException"],
  ] as const)("answers %d with a %s envelope and creates no order", async (status, errorType) => {
    emulator.setFaults({ orderSystemDown: { next: 1, status } });
    const response = await fetch(`${emulator.url}/orders/regular`, {
      method: "POST",
      headers: {
        "X-Kite-Version": "3",
        Authorization: "token kite_emulator_key:kite_emulator_token",
      },
    });
    expect(response.status).toBe(status);
    expect(emulator.stats().faultsInjected).toEqual({ orderSystemDown: 1 });
    emulator.setFaults({ orderSystemDown: { next: 1, status } });
    const reason = await rejectionOf(kite.placeOrder("regular", marketOrder()));
    expect(reason).toMatchObject({ error_type: errorType, status: "error", data: null });
    expect(emulator.orders()).toHaveLength(0);
    await expect(kite.placeOrder("regular", marketOrder())).resolves.toHaveProperty("order_id");
  });

  it("answers a plain-text 502 that the client reports by its status text", async () => {
    emulator.setFaults({ orderSystemDown: { status: 502, format: "text" } });
    expect(await rejectionOf(kite.placeOrder("regular", marketOrder()))).toEqual({
      message: "Bad Gateway",
      error_type: "NetworkException",
      data: null,
    });
  });
});

describe("timeout after accept", () => {
  it("times the client out with ECONNABORTED while the order exists with its tag", async () => {
    emulator.setFaults({ timeoutAfterAccept: { next: 1 } });
    const impatient = clientFor(emulator, { timeout: 300 });
    const started = Date.now();
    const reason = await rejectionOf(
      impatient.placeOrder("regular", marketOrder({ tag: "lost1" })),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(reason).toEqual({
      message: "No response from server with error code: ECONNABORTED",
      error_type: "NetworkException",
      data: null,
    });
    const orders = (await kite.getOrders()) as unknown as { tag: string; status: string }[];
    expect(orders).toEqual([expect.objectContaining({ tag: "lost1", status: "COMPLETE" })]);
  });

  it("drops the connection without an answer in destroy mode (ECONNRESET)", async () => {
    emulator.setFaults({ timeoutAfterAccept: { next: 1, mode: "destroy" } });
    const reason = await rejectionOf(kite.placeOrder("regular", marketOrder({ tag: "lost2" })));
    expect(reason).toMatchObject({
      error_type: "NetworkException",
      message: "No response from server with error code: ECONNRESET",
    });
    expect(emulator.orders().map((order) => order.tag)).toEqual(["lost2"]);
  });

  it("stops promptly while an answer is being held back", async () => {
    emulator.setFaults({ timeoutAfterAccept: { next: 1, hangMs: 60_000 } });
    const pending = rejectionOf(kite.placeOrder("regular", marketOrder()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await emulator.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await pending).error_type).toBe("NetworkException");
  });
});

describe("other faults", () => {
  it("adds latency to every response", async () => {
    emulator.setFaults({ latencyMs: 120 });
    const started = Date.now();
    await kite.getProfile();
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("makes the client resolve with a DataException object for an unexpected content type", async () => {
    emulator.setFaults({ unexpectedContentType: { next: 1, placementsOnly: true } });
    const result = await kite.placeOrder("regular", marketOrder());
    expect(result).toMatchObject({ error_type: "DataException" });
    expect(result).not.toHaveProperty("order_id");
  });

  it("expires the token through setFaults", async () => {
    emulator.setFaults({ expireToken: true });
    expect((await rejectionOf(kite.getProfile())).error_type).toBe("TokenException");
  });

  it("clears one fault with null and all with clearFaults", async () => {
    emulator.setFaults({ latencyMs: 10, tooManyRequests: { next: 5 } });
    emulator.setFaults({ tooManyRequests: null });
    expect(emulator.faults()).toMatchObject({ latencyMs: 10, tooManyRequests: null });
    emulator.clearFaults();
    expect(emulator.faults().latencyMs).toBe(0);
  });
});

describe("rate limiting", () => {
  it("answers 429 past 10 placements in a second and records the attempted peak", async () => {
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
    let now = 1_700_000_000_000;
    const clocked = new KiteEmulator({ fillDelayMs: 0, clock: () => now });
    await clocked.start();
    try {
      const client = clientFor(clocked);
      for (let i = 0; i < 10; i++) await client.placeOrder("regular", marketOrder());
      expect((await rejectionOf(client.placeOrder("regular", marketOrder()))).error_type).toBe(
        "NetworkException",
      );
      now += 1_001;
      await expect(client.placeOrder("regular", marketOrder())).resolves.toHaveProperty("order_id");
      expect(clocked.stats().maxPlacementsInAnySecond).toBe(11);
    } finally {
      await clocked.stop();
    }
  });
});
