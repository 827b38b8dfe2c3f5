import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KiteEmulator } from "./kite-emulator.js";
import {
  clientFor,
  type Kite,
  marketOrder,
  rejectionOf,
  waitForStatus,
} from "./test-support/kite-client.js";
import { marketOrderFields } from "./test-support/order-fields.js";

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

describe("created, then answered 5xx", () => {
  const NETWORK_JSON = {
    status: "error",
    message: "The order system is unavailable. Please try again.",
    error_type: "NetworkException",
    data: null,
  };
  // What kiteconnect 5.3.0 rejects with: the envelope for JSON; the HTTP status text otherwise.
  it.each([
    [502, "json", NETWORK_JSON],
    [503, "json", NETWORK_JSON],
    [504, "json", NETWORK_JSON],
    [
      500,
      "json",
      {
        status: "error",
        message: "Something went wrong. Please try again.",
        error_type: "GeneralException",
        data: null,
      },
    ],
    [502, "html", { message: "Bad Gateway", error_type: "NetworkException", data: null }],
    [504, "html", { message: "Gateway Timeout", error_type: "NetworkException", data: null }],
    [503, "text", { message: "Service Unavailable", error_type: "NetworkException", data: null }],
    [504, "text", { message: "Gateway Timeout", error_type: "NetworkException", data: null }],
  ] as const)(
    "a %d %s answer rejects as pinned while the order lives on",
    async (status, format, rejection) => {
      emulator.setFaults({ orderSystemDown: { next: 1, status, format, afterCreate: true } });
      const reason = await rejectionOf(kite.placeOrder("regular", marketOrder({ tag: "ghost1" })));
      expect(reason).toEqual(rejection);
      const orders = (await kite.getOrders()) as unknown as { tag: string; status: string }[];
      expect(orders).toEqual([expect.objectContaining({ tag: "ghost1", status: "COMPLETE" })]);
      expect(emulator.stats()).toMatchObject({
        placements: 1,
        faultsInjected: { orderSystemDown: 1 },
      });
      // Spent: the next placement is answered normally.
      await expect(kite.placeOrder("regular", marketOrder())).resolves.toHaveProperty("order_id");
    },
  );

  it("sends a gateway's HTML page with its status and content type", async () => {
    emulator.setFaults({
      orderSystemDown: { next: 1, status: 502, format: "html", afterCreate: true },
    });
    const response = await fetch(`${emulator.url}/orders/regular`, {
      method: "POST",
      headers: {
        "X-Kite-Version": "3",
        Authorization: "token kite_emulator_key:kite_emulator_token",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(marketOrderFields()),
    });
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe("text/html");
    expect(await response.text()).toBe(
      "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    );
    expect(emulator.orders()).toHaveLength(1);
  });

  it("answers an invalid placement with its 400 and keeps the fault for one that creates an order", async () => {
    emulator.setFaults({ orderSystemDown: { next: 1, status: 504, afterCreate: true } });
    const invalid = await rejectionOf(kite.placeOrder("regular", marketOrder({ quantity: 0 })));
    expect(invalid.error_type).toBe("InputException");
    expect(emulator.faults().orderSystemDown).toMatchObject({ next: 1 });
    expect((await rejectionOf(kite.placeOrder("regular", marketOrder()))).error_type).toBe(
      "NetworkException",
    );
    expect(emulator.orders()).toHaveLength(1);
    expect(emulator.faults().orderSystemDown).toMatchObject({ next: 0 });
  });

  it("fills the created order in steps as usual", async () => {
    emulator.setFills({ fillDelayMs: 40, fillSteps: 2 });
    emulator.setFaults({ orderSystemDown: { next: 1, status: 502, afterCreate: true } });
    await rejectionOf(kite.placeOrder("regular", marketOrder({ quantity: 2, tag: "ghost2" })));
    const [order] = emulator.orders();
    const history = await waitForStatus(kite, order?.order_id ?? "", "COMPLETE");
    expect(
      history.filter((state) => state.filled_quantity > 0).map((s) => s.filled_quantity),
    ).toEqual([1, 2]);
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
