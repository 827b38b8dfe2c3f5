import { clientOrderId, type SubmitContext } from "@engine/core";
import { RecordingLogger, sampleSignal } from "@engine/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { RELIANCE_KEY, UNMAPPED_TOKEN, upstoxHarness } from "./test-support/upstox-harness.js";
import type { UpstoxTrader } from "./upstox-trader.js";

type Harness = Awaited<ReturnType<typeof upstoxHarness>>;
const cleanup: (() => Promise<void>)[] = [];

async function setup(options: Parameters<typeof upstoxHarness>[0] = {}) {
  const harness = await upstoxHarness(options);
  cleanup.push(() => harness.emulator.stop());
  return harness;
}

async function ready(
  harness: Harness,
  env: Record<string, string> = {},
  logger = new RecordingLogger(),
) {
  const trader = harness.trader(env, logger);
  cleanup.push(() => trader.shutdown());
  expect(await trader.initialize()).toBe(true);
  return trader;
}

function context(id: string): SubmitContext {
  return { clientOrderId: clientOrderId(id, "upstox"), abort: new AbortController().signal };
}

async function submit(
  trader: UpstoxTrader,
  id: string,
  options: Parameters<typeof sampleSignal>[0] = {},
) {
  return trader.executeOrder(sampleSignal({ id, ...options }), null, context(id));
}

afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

describe("UpstoxTrader placing orders", () => {
  it("places one MARKET order with the instrument key, side, quantity, product, tag, protection and algo name", async () => {
    const harness = await setup();
    harness.emulator.setPrice(RELIANCE_KEY, 1432.15);
    const trader = await ready(harness, { UPSTOX_ALGO_NAME: "engine-algo", UPSTOX_PRODUCT: "D" });
    const result = await submit(trader, "market-1", { signalType: "SELL", validatedQuantity: 7 });
    expect(result.kind).toBe("placed");
    const places = harness.emulator.requests().filter((r) => r.path === "/v3/order/place");
    expect(places).toHaveLength(1);
    expect(places[0]?.algoName).toBe("engine-algo");
    expect(places[0]?.body).toMatchObject({
      instrument_token: RELIANCE_KEY,
      transaction_type: "SELL",
      quantity: 7,
      product: "D",
      order_type: "MARKET",
      price: 0,
      market_protection: -1,
      tag: clientOrderId("market-1", "upstox"),
      is_amo: false,
    });
    if (result.kind !== "placed") return;
    const found = await trader.queryOrder({
      clientOrderId: clientOrderId("market-1", "upstox"),
      orderId: null,
    });
    expect(found).toMatchObject({
      kind: "found",
      report: {
        orderId: result.payload.order_id,
        status: "filled",
        filledQuantity: 7,
        averagePrice: 1432.15,
      },
    });
    if (found.kind === "found") expect(found.report.updatedAt).toMatch(/\+05:30$/);
  });

  it("declares the account's order budget, which every engine instance on it shares", async () => {
    const trader = await ready(await setup(), { UPSTOX_ORDERS_PER_DAY: "3000" });
    expect(trader.capabilities.orderBudget).toEqual({
      perSecond: 10,
      perMinute: 500,
      perHalfHour: 2_000,
      perDay: 3_000,
    });
  });

  it("keeps to the 30-minute order limit on its own: past it a placement fails RATE_LIMITED, unsent", async () => {
    const harness = await setup();
    const trader = await ready(harness, {
      UPSTOX_ORDERS_PER_30_MINUTES: "2",
      UPSTOX_MAX_QUEUE_MS: "200",
    });
    expect(trader.capabilities.orderBudget?.perHalfHour).toBe(2);
    expect(await submit(trader, "half-hour-1")).toMatchObject({ kind: "placed" });
    expect(await submit(trader, "half-hour-2")).toMatchObject({ kind: "placed" });
    const sent = harness.emulator.requests().length;
    const third = await submit(trader, "half-hour-3");
    expect(third).toMatchObject({ kind: "failed", payload: { error_code: "RATE_LIMITED" } });
    expect(harness.emulator.requests()).toHaveLength(sent);
  });

  it("prices a LIMIT order at the validated price rounded to the tick", async () => {
    const harness = await setup();
    const trader = await ready(harness, { UPSTOX_ORDER_TYPE: "limit" });
    const result = await submit(trader, "limit-1", { validatedPrice: 1400.03 });
    expect(result).toMatchObject({ kind: "placed", payload: { price: 1400.05 } });
    expect(harness.emulator.requests().at(-1)?.body).toMatchObject({
      order_type: "LIMIT",
      price: 1400.05,
    });
  });

  it("fails an instrument Upstox does not have with INSTRUMENT_NOT_FOUND, sending nothing", async () => {
    const harness = await setup();
    const trader = await ready(harness);
    const before = harness.emulator.requests().length;
    for (const token of [UNMAPPED_TOKEN, 123]) {
      const result = await submit(trader, `unknown-${token}`, { instrumentToken: token });
      expect(result).toMatchObject({
        kind: "failed",
        payload: { error_code: "INSTRUMENT_NOT_FOUND" },
      });
    }
    expect(harness.emulator.requests()).toHaveLength(before);
  });

  it("reports a funds rejection as a rejected order with Upstox's message", async () => {
    const harness = await setup({ availableFunds: 100 });
    const trader = await ready(harness);
    const result = await submit(trader, "poor-1");
    expect(result.kind).toBe("placed");
    const batch = await trader.orderStatusReports([
      { clientOrderId: clientOrderId("poor-1", "upstox"), orderId: null },
    ]);
    expect(batch).toMatchObject({
      kind: "ok",
      reports: [{ status: "rejected", filledQuantity: 0 }],
    });
    if (batch.kind === "ok") expect(batch.reports[0]?.message).toMatch(/Insufficient funds/);
  });

  it("reports partial fills of a held order, then cancels it", async () => {
    const harness = await setup({ fillSteps: 2 });
    harness.emulator.setFills({ hold: true, holdAfterFills: 1 });
    const trader = await ready(harness);
    await submit(trader, "partial-1", { validatedQuantity: 10 });
    const ref = { clientOrderId: clientOrderId("partial-1", "upstox"), orderId: null };
    const batch = await trader.orderStatusReports([ref]);
    expect(batch).toMatchObject({
      kind: "ok",
      reports: [{ status: "partially_filled", filledQuantity: 5 }],
    });
    expect(await trader.cancelOrder(ref)).toEqual({ kind: "requested" });
    expect(await trader.queryOrder(ref)).toMatchObject({
      kind: "found",
      report: { status: "cancelled", filledQuantity: 5 },
    });
    expect((await trader.cancelOrder(ref)).kind).toBe("too_late");
  });
});

describe("UpstoxTrader ambiguous answers", () => {
  it("answers unknown when the order was accepted but never answered, and finds exactly that order by tag", async () => {
    const harness = await setup();
    harness.emulator.setFaults({ timeoutAfterAccept: { next: 1 } });
    const trader = await ready(harness, { UPSTOX_TIMEOUT_MS: "300" });
    const result = await submit(trader, "timeout-1");
    expect(result.kind).toBe("unknown");
    expect(harness.emulator.orders()).toHaveLength(1);
    const found = await trader.queryOrder({
      clientOrderId: clientOrderId("timeout-1", "upstox"),
      orderId: null,
    });
    expect(found).toMatchObject({
      kind: "found",
      report: { orderId: harness.emulator.orders()[0]?.order_id },
    });
    expect(harness.emulator.orders()).toHaveLength(1);
  });

  it.each([
    ["a 500 after the order was created", { serverErrorAfterCreate: { next: 1 } }, 1],
    ["a 503 before anything", { serverError: { next: 1, status: 503 } }, 0],
    ["a reset connection", { connectionReset: { next: 1 } }, 0],
  ] as const)("answers unknown on %s, never placing again", async (_name, faults, orders) => {
    const harness = await setup();
    const trader = await ready(harness);
    harness.emulator.setFaults(faults);
    expect((await submit(trader, "ambiguous-1")).kind).toBe("unknown");
    expect(harness.emulator.orders()).toHaveLength(orders);
    expect(harness.emulator.requests().filter((r) => r.path === "/v3/order/place")).toHaveLength(1);
  });

  it("fails RATE_LIMITED on a 429 and holds the next order back", async () => {
    const harness = await setup();
    const trader = await ready(harness);
    harness.emulator.setFaults({ tooManyRequests: { next: 1, route: "place" } });
    expect(await submit(trader, "limited-1")).toMatchObject({
      kind: "failed",
      payload: { error_code: "RATE_LIMITED" },
    });
    const started = Date.now();
    expect((await submit(trader, "limited-2")).kind).toBe("placed");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe("UpstoxTrader limits and session", () => {
  it("never sends more than 10 orders in a second, however many signals arrive", async () => {
    const harness = await setup();
    const trader = await ready(harness);
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, n) => submit(trader, `burst-${n}`)),
    );
    expect(results.every((result) => result.kind === "placed")).toBe(true);
    expect(harness.emulator.stats().peakOrderRequestsPerSecond).toBeLessThanOrEqual(10);
    expect(harness.emulator.orders()).toHaveLength(25);
  }, 10_000);

  it("becomes unavailable on an expired token, sends nothing more, and recovers when the token file rotates", async () => {
    const harness = await setup();
    await harness.writeToken(harness.emulator.accessToken ?? "");
    const logger = new RecordingLogger();
    const trader = await ready(
      harness,
      { UPSTOX_ACCESS_TOKEN: "", UPSTOX_ACCESS_TOKEN_FILE: harness.tokenFile },
      logger,
    );
    harness.emulator.expireToken();
    expect(await submit(trader, "expired-1")).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(trader.health().status).toBe("unavailable");
    const sent = harness.emulator.requests().length;
    expect(await submit(trader, "expired-2")).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(harness.emulator.requests()).toHaveLength(sent);
    harness.emulator.setAccessToken("rotated-token-0001");
    await harness.writeToken("rotated-token-0001");
    await expect.poll(() => trader.health(), { timeout: 2_000 }).toEqual({ status: "ready" });
    expect((await submit(trader, "expired-3")).kind).toBe("placed");
    const logged = logger.inspectedText();
    expect(logged).not.toContain("rotated-token-0001");
    expect(logged).not.toContain("upstox-emulator-token");
  });

  it("does not start when Upstox refuses the token", async () => {
    const harness = await setup();
    const trader = harness.trader({ UPSTOX_ACCESS_TOKEN: "wrong-token-123" });
    cleanup.push(() => trader.shutdown());
    expect(await trader.initialize()).toBe(false);
    expect(trader.health()).toMatchObject({
      status: "unavailable",
      reason: expect.stringMatching(/UDAPI100050/),
    });
    expect(JSON.stringify(trader.health())).not.toContain("wrong-token-123");
  });
});

describe("UpstoxTrader concurrent submissions", () => {
  it("shares one placement between two concurrent calls with one client order id", async () => {
    const harness = await setup();
    harness.emulator.setFaults({ latencyMs: 100 });
    const trader = await ready(harness);
    const [first, second] = await Promise.all([
      submit(trader, "twice-1"),
      submit(trader, "twice-1"),
    ]);
    expect(first).toEqual(second);
    expect(harness.emulator.orders()).toHaveLength(1);
  });
});
