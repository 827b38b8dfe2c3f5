import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KiteEmulator } from "./kite-emulator.js";
import { postbackChecksum } from "./postbacks/postback-checksum.js";
import { clientFor, type Kite, marketOrder, rejectionOf } from "./test-support/kite-client.js";

let emulator: KiteEmulator;
let kite: Kite;

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emulator.url}/__emulator/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe("admin endpoints for another process", () => {
  beforeEach(async () => {
    emulator = new KiteEmulator({ fillDelayMs: 0 });
    await emulator.start();
    kite = clientFor(emulator);
  });

  afterEach(async () => {
    await emulator.stop();
  });

  it("sets faults from JSON and reports them", async () => {
    const response = await admin("POST", "faults", {
      tooManyRequests: { next: 1, format: "text" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tooManyRequests: { next: 1, format: "text" } });
    expect((await rejectionOf(kite.getProfile())).message).toBe("Too Many Requests");
    expect(await (await admin("GET", "faults")).json()).toMatchObject({
      tooManyRequests: { next: 0 },
    });
  });

  it("refuses invalid fault settings with 400", async () => {
    const response = await admin("POST", "faults", { orderSystemDown: { status: 418 } });
    expect(response.status).toBe(400);
    expect(await response.json()).toHaveProperty("error");
  });

  it("exposes orders with history, stats and the request log", async () => {
    await kite.placeOrder("regular", marketOrder({ tag: "adm1" }));
    const { orders } = (await (await admin("GET", "orders")).json()) as {
      orders: { tag: string; status: string; history: unknown[] }[];
    };
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ tag: "adm1", status: "COMPLETE" });
    expect(orders[0]?.history).toHaveLength(5);

    const stats = (await (await admin("GET", "stats")).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ placements: 1, ordersByTag: { adm1: 1 } });
    const { requests } = (await (await admin("GET", "requests")).json()) as {
      requests: { headers: Record<string, string> }[];
    };
    expect(requests[0]?.headers.authorization).toBe("REDACTED");
  });

  it("rotates and expires the token", async () => {
    await admin("POST", "token", { access_token: "fresh" });
    expect((await rejectionOf(kite.getProfile())).error_type).toBe("TokenException");
    kite.setAccessToken("fresh");
    await expect(kite.getProfile()).resolves.toBeDefined();
    await admin("POST", "token", { expire: true });
    expect((await rejectionOf(kite.getProfile())).error_type).toBe("TokenException");
  });

  it("moves prices and margin", async () => {
    await admin("POST", "price", { exchange: "NSE", tradingsymbol: "INFY", price: 1111 });
    await admin("POST", "margin", { available: 500 });
    const { order_id } = await kite.placeOrder("regular", marketOrder());
    expect(emulator.orderHistory(order_id)?.at(-1)).toMatchObject({ status: "REJECTED" });
    expect(emulator.orderHistory(order_id)?.at(-1)?.status_message).toBe(
      "Insufficient funds. Required margin is 1111.00 but available margin is 500.00.",
    );
  });

  it("resets to the constructed state, keeping order ids unique", async () => {
    const first = await kite.placeOrder("regular", marketOrder());
    await admin("POST", "faults", { latencyMs: 5 });
    await admin("POST", "token", { expire: true });
    expect((await admin("POST", "reset")).status).toBe(200);
    expect(emulator.orders()).toHaveLength(0);
    expect(emulator.stats().placements).toBe(0);
    expect(emulator.faults().latencyMs).toBe(0);
    const second = await kite.placeOrder("regular", marketOrder());
    expect(second.order_id).not.toBe(first.order_id);
  });
});

describe("postbacks", () => {
  let receiver: Server;
  const received: Record<string, unknown>[] = [];

  beforeEach(async () => {
    received.length = 0;
    receiver = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => {
        raw += chunk.toString();
      });
      req.on("end", () => {
        received.push(JSON.parse(raw) as Record<string, unknown>);
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const { port } = receiver.address() as AddressInfo;
    emulator = new KiteEmulator({
      fillDelayMs: 20,
      postbackUrl: `http://127.0.0.1:${port}/postback`,
      apiSecret: "secret1",
    });
    await emulator.start();
    kite = clientFor(emulator);
  });

  afterEach(async () => {
    await emulator.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it("posts COMPLETE with Kite's checksum without anyone polling", async () => {
    const { order_id } = await kite.placeOrder("regular", marketOrder({ tag: "pb1" }));
    const deadline = Date.now() + 2_000;
    while (received.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await emulator.flushPostbacks();
    expect(received).toHaveLength(1);
    const postback = received[0] ?? {};
    expect(postback).toMatchObject({
      order_id,
      status: "COMPLETE",
      tag: "pb1",
      app_id: "kite_emulator_key",
      user_id: "AB1234",
      unfilled_quantity: 0,
    });
    expect(postback.checksum).toBe(
      postbackChecksum(order_id, String(postback.order_timestamp), "secret1"),
    );
    expect(emulator.stats().postbacksSent).toBe(1);
  });

  it("posts REJECTED for an order beyond the margin", async () => {
    emulator.setAvailableMargin(1);
    const { order_id } = await kite.placeOrder("regular", marketOrder());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await emulator.flushPostbacks();
    expect(received).toEqual([expect.objectContaining({ order_id, status: "REJECTED" })]);
  });
});
