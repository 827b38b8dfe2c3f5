import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { UpstoxEmulator, type UpstoxEmulatorOptions } from "./upstox-emulator.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests read Upstox's JSON as it comes, field by field
type Json = any;

const RELIANCE = "NSE_EQ|INE002A01018";
const running: UpstoxEmulator[] = [];

async function emulatorWith(options: UpstoxEmulatorOptions = {}) {
  const emulator = new UpstoxEmulator(options);
  running.push(emulator);
  const url = await emulator.start();
  const call = async (
    method: string,
    path: string,
    body?: object,
    token = emulator.accessToken,
  ) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "x-algo-name": "engine-test",
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  return { emulator, call };
}

function order(overrides: Record<string, unknown> = {}) {
  return {
    quantity: 10,
    product: "I",
    validity: "DAY",
    price: 0,
    instrument_token: RELIANCE,
    order_type: "MARKET",
    transaction_type: "BUY",
    disclosed_quantity: 0,
    trigger_price: 0,
    is_amo: false,
    tag: "e0123456789abcdef012",
    market_protection: -1,
    ...overrides,
  };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
});

describe("UpstoxEmulator orders", () => {
  it("places a market order that completes at the market price, with string ids and lower-case statuses", async () => {
    const { emulator, call } = await emulatorWith();
    emulator.setPrice(RELIANCE, 1500.25);
    const placed = await call("POST", "/v3/order/place", order());
    expect(placed.status).toBe(200);
    expect(placed.body.status).toBe("success");
    const [orderId] = placed.body.data.order_ids;
    expect(orderId).toMatch(/^\d{15}$/);
    const details = await call("GET", `/v2/order/details?order_id=${orderId}`);
    expect(details.body.data).toMatchObject({
      status: "complete",
      filled_quantity: 10,
      pending_quantity: 0,
      average_price: 1500.25,
      tag: "e0123456789abcdef012",
      instrument_token: RELIANCE,
      trading_symbol: "RELIANCE",
    });
    expect(details.body.data.order_timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const history = await call("GET", "/v2/order/history?tag=e0123456789abcdef012");
    expect(history.body.data.map((row: { status: string }) => row.status)).toEqual([
      "put order req received",
      "validation pending",
      "open pending",
      "open",
      "complete",
    ]);
    expect(emulator.orders()[0]?.market_protection).toBe(-1);
    expect(emulator.requests()[0]?.algoName).toBe("engine-test");
  });

  it("creates an order that ends rejected for insufficient funds, not an HTTP error", async () => {
    const { emulator, call } = await emulatorWith({ availableFunds: 1_000 });
    const placed = await call("POST", "/v3/order/place", order());
    expect(placed.status).toBe(200);
    const all = await call("GET", "/v2/order/retrieve-all");
    expect(all.body.data).toHaveLength(1);
    expect(all.body.data[0].status).toBe("rejected");
    expect(all.body.data[0].status_message).toMatch(/Insufficient funds/);
    expect(emulator.orders()[0]?.filled_quantity).toBe(0);
  });

  it("refuses a market order without protection, a non-zero market price and a long tag", async () => {
    const { call } = await emulatorWith();
    const cases = [
      [order({ market_protection: 0 }), "UDAPI1158"],
      [order({ market_protection: undefined }), "UDAPI1158"],
      [order({ price: 10 }), "UDAPI1040"],
      [order({ tag: "x".repeat(41) }), "UDAPI1119"],
      [order({ instrument_token: "NSE_EQ|NOPE" }), "UDAPI1052"],
    ] as const;
    for (const [body, code] of cases) {
      const answer = await call("POST", "/v3/order/place", body);
      expect(answer.status).toBe(400);
      expect(answer.body.status).toBe("error");
      expect(answer.body.errors[0]).toMatchObject({ errorCode: code, error_code: code });
    }
  });

  it("holds orders open with partial fills, cancels them, and refuses a second cancel", async () => {
    const { emulator, call } = await emulatorWith({ fillSteps: 2 });
    emulator.setFills({ hold: true, holdAfterFills: 1 });
    const placed = await call("POST", "/v3/order/place", order());
    const orderId = placed.body.data.order_ids[0];
    const open = await call("GET", `/v2/order/details?order_id=${orderId}`);
    expect(open.body.data).toMatchObject({
      status: "open",
      filled_quantity: 5,
      pending_quantity: 5,
    });
    const cancelled = await call("DELETE", `/v3/order/cancel?order_id=${orderId}`);
    expect(cancelled.body).toMatchObject({ status: "success", data: { order_id: orderId } });
    const after = await call("GET", `/v2/order/details?order_id=${orderId}`);
    expect(after.body.data).toMatchObject({ status: "cancelled", filled_quantity: 5 });
    const again = await call("DELETE", `/v3/order/cancel?order_id=${orderId}`);
    expect(again.body.errors[0].errorCode).toBe("UDAPI100040");
    const unknown = await call("DELETE", "/v3/order/cancel?order_id=999");
    expect(unknown.body.errors[0].errorCode).toBe("UDAPI100010");
  });

  it("answers history by tag with an empty list for an unknown tag, and requires a filter", async () => {
    const { call } = await emulatorWith();
    expect((await call("GET", "/v2/order/history?tag=nothing")).body.data).toEqual([]);
    expect((await call("GET", "/v2/order/history")).body.errors[0].errorCode).toBe("UDAPI100059");
  });

  it("leaves new orders out of history and retrieve-all during the listing lag", async () => {
    let now = 1_700_000_000_000;
    const { emulator, call } = await emulatorWith({ clock: () => now, listingLagMs: 500 });
    await call("POST", "/v3/order/place", order());
    expect((await call("GET", "/v2/order/retrieve-all")).body.data).toEqual([]);
    now += 500;
    expect((await call("GET", "/v2/order/retrieve-all")).body.data).toHaveLength(1);
    expect(emulator.orders()).toHaveLength(1);
  });

  it("serves the gzip'd instrument master without authentication", async () => {
    const { emulator } = await emulatorWith();
    const response = await fetch(emulator.instrumentMasterUrl);
    const rows = JSON.parse(gunzipSync(Buffer.from(await response.arrayBuffer())).toString());
    expect(rows[0]).toMatchObject({
      instrument_key: RELIANCE,
      segment: "NSE_EQ",
      exchange_token: "2885",
      lot_size: 1,
    });
    expect(rows[0].last_price).toBeUndefined();
  });
});

describe("UpstoxEmulator faults and limits", () => {
  it("refuses an expired token with 401 UDAPI100050 until a new one is set", async () => {
    const { emulator, call } = await emulatorWith();
    emulator.expireToken();
    const refused = await call("GET", "/v2/order/retrieve-all", undefined, "upstox-emulator-token");
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].errorCode).toBe("UDAPI100050");
    emulator.setAccessToken("fresh-token");
    expect((await call("GET", "/v2/order/retrieve-all")).status).toBe(200);
  });

  it("answers 429 beyond 10 order requests in a second, counting refused ones", async () => {
    const now = 1_700_000_000_000;
    const { emulator, call } = await emulatorWith({ clock: () => now });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await call("POST", "/v3/order/place", order({ tag: `t${i}` }))).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(emulator.stats().peakOrderRequestsPerSecond).toBe(12);
    expect(emulator.orders()).toHaveLength(10);
  });

  it("answers 429 beyond the 30-minute order limit, spread over minutes", async () => {
    let now = 1_700_000_000_000;
    const { call } = await emulatorWith({ clock: () => now, ordersPerHalfHour: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await call("POST", "/v3/order/place", order({ tag: `h${i}` }))).status);
      now += 5 * 60_000;
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    now += 30 * 60_000;
    expect((await call("POST", "/v3/order/place", order({ tag: "h9" }))).status).toBe(200);
  });

  it("injects 429, 5xx and resets on the next requests only", async () => {
    const { emulator, call } = await emulatorWith();
    emulator.setFaults({ tooManyRequests: { next: 1 }, serverError: { next: 1, status: 503 } });
    expect((await call("GET", "/v2/order/retrieve-all")).status).toBe(429);
    expect((await call("GET", "/v2/order/retrieve-all")).status).toBe(503);
    expect((await call("GET", "/v2/order/retrieve-all")).status).toBe(200);
    emulator.setFaults({ connectionReset: { next: 1, route: "place" } });
    await expect(call("POST", "/v3/order/place", order())).rejects.toThrow();
    expect(emulator.orders()).toHaveLength(0);
    expect(emulator.stats().faultsFired).toMatchObject({ connectionReset: 1 });
  });

  it("books the order and then answers 500 with serverErrorAfterCreate", async () => {
    const { emulator, call } = await emulatorWith();
    emulator.setFaults({ serverErrorAfterCreate: { next: 1 } });
    expect((await call("POST", "/v3/order/place", order())).status).toBe(500);
    expect(emulator.orders()).toHaveLength(1);
  });

  it("books the order and never answers with timeoutAfterAccept", async () => {
    const { emulator, call } = await emulatorWith();
    emulator.setFaults({ timeoutAfterAccept: { next: 1 } });
    const answer = Promise.race([
      call("POST", "/v3/order/place", order()),
      new Promise((resolve) => setTimeout(() => resolve("no answer"), 300)),
    ]);
    expect(await answer).toBe("no answer");
    expect(emulator.orders()).toHaveLength(1);
    expect(emulator.requests()[0]?.outcome).toBe("no-answer");
  });

  it("delays answers by the injected latency", async () => {
    const { emulator, call } = await emulatorWith();
    emulator.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await call("GET", "/v2/user/profile");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
