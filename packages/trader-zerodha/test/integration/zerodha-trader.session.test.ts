import type { KiteEmulator } from "@engine/kite-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ACCESS_TOKEN,
  ended,
  eventually,
  placedId,
  queryUntil,
  refOf,
  startEmulator,
  submit,
  todaysSignal,
  tokenFile,
  traderFor,
} from "../../src/test-support/harness.js";
import type { ZerodhaTrader } from "../../src/zerodha-trader.js";

let emulator: KiteEmulator;
const traders: ZerodhaTrader[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  emulator = await startEmulator();
});

afterEach(async () => {
  await Promise.all(traders.splice(0).map((trader) => trader.shutdown()));
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await emulator.stop();
});

async function ready(env: Record<string, string> = {}): Promise<ZerodhaTrader> {
  const { trader } = traderFor(emulator, env);
  traders.push(trader);
  expect(await trader.initialize()).toBe(true);
  return trader;
}

async function withTokenFile(): Promise<{
  trader: ZerodhaTrader;
  rotate(token: string): Promise<void>;
}> {
  const file = await tokenFile(ACCESS_TOKEN);
  cleanups.push(file.remove);
  const trader = await ready({ KITE_ACCESS_TOKEN: "", KITE_ACCESS_TOKEN_FILE: file.path });
  return {
    trader,
    async rotate(token) {
      emulator.setAccessToken(token);
      await file.write(token);
    },
  };
}

const placementCount = () => emulator.stats().requestsByPath["POST /orders/:variety"] ?? 0;

describe("ZerodhaTrader: session and token rotation", () => {
  it("answers TRADER_UNAVAILABLE once the token expires, then recovers when a new token is written to the file", async () => {
    const { trader, rotate } = await withTokenFile();
    expect(trader.health()).toEqual({ status: "ready" });
    emulator.expireToken();

    const refused = await submit(trader, todaysSignal({ id: "sig-expired" }));
    expect(refused).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(trader.health()).toMatchObject({ status: "unavailable" });
    const health = trader.health();
    expect(health.status === "unavailable" && health.reason).toMatch(/access token/);

    // While the token is known bad, signals are refused without a request.
    const before = placementCount();
    await submit(trader, todaysSignal({ id: "sig-expired-2" }));
    expect(placementCount()).toBe(before);

    await rotate("rotated_token_abcdef123456");
    await eventually(() => trader.health().status === "ready");
    const placed = await submit(trader, todaysSignal({ id: "sig-after-rotation" }));
    expect(placed.kind).toBe("placed");
    const last = emulator.requests().at(-1);
    expect(last?.route).toBe("/orders/:variety");
  });

  it("picks up a rotated token before it is rejected, without becoming unavailable", async () => {
    const { trader, rotate } = await withTokenFile();
    await rotate("next_day_token_1234567890");
    expect((await submit(trader, todaysSignal({ id: "sig-proactive" }))).kind).toBe("placed");
    expect(trader.health()).toEqual({ status: "ready" });
  });

  it("fails to initialise with an expired token, saying why", async () => {
    emulator.expireToken();
    const { trader, logger } = traderFor(emulator);
    traders.push(trader);
    expect(await trader.initialize()).toBe(false);
    const health = trader.health();
    expect(health.status).toBe("unavailable");
    expect(health.status === "unavailable" && health.reason).toMatch(/rejected the access token/);
    expect(logger.records.some((record) => record.level === "error")).toBe(true);
    // A later call tries again.
    emulator.setAccessToken(ACCESS_TOKEN);
    expect(await trader.initialize()).toBe(true);
  });

  it("refuses signals before initialise and after shutdown", async () => {
    const { trader } = traderFor(emulator);
    traders.push(trader);
    expect(await submit(trader, todaysSignal())).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(trader.health()).toEqual({ status: "unavailable", reason: "not initialised" });
    await trader.initialize();
    await trader.shutdown();
    expect(await submit(trader, todaysSignal())).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(await trader.initialize()).toBe(false);
    expect(placementCount()).toBe(0);
  });
});

describe("ZerodhaTrader: following orders through a token expiry", () => {
  it("answers queries unknown while the token is rejected, and reports the order once a new token arrives", async () => {
    const { trader, rotate } = await withTokenFile();
    emulator.setFills({ fillDelayMs: 300 });
    const signal = todaysSignal({ id: "sig-follow-expiry" });
    const orderId = placedId(await submit(trader, signal));
    emulator.expireToken();
    const during = await trader.queryOrder(refOf(signal, orderId));
    expect(during).toMatchObject({ kind: "unknown" });
    expect(during.kind === "unknown" && during.reason).toMatch(/TokenException/);
    expect(await trader.orderStatusReports([refOf(signal, orderId)])).toMatchObject({
      kind: "unavailable",
    });
    // While the token is known bad, queries cost no request.
    const reads = emulator.stats().requests;
    await trader.queryOrder(refOf(signal, orderId));
    expect(emulator.stats().requests).toBe(reads);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await rotate("rotated_token_for_follow_1");
    await eventually(() => trader.health().status === "ready");
    expect(await queryUntil(trader, refOf(signal, orderId), ended)).toMatchObject({
      kind: "found",
      report: { status: "filled", orderId },
    });
  });

  it("answers queries, reports and cancels before initialise and after shutdown without a request", async () => {
    const { trader } = traderFor(emulator);
    traders.push(trader);
    const ref = refOf(todaysSignal(), "1");
    expect(await trader.queryOrder(ref)).toMatchObject({ kind: "unknown" });
    expect(await trader.orderStatusReports([ref])).toMatchObject({ kind: "unavailable" });
    expect(await trader.cancelOrder(ref)).toMatchObject({ kind: "failed", retryable: true });
    expect(await trader.initialize()).toBe(true);
    await trader.shutdown();
    const before = emulator.stats().requests;
    expect(await trader.queryOrder(ref)).toMatchObject({
      kind: "unknown",
      reason: expect.stringMatching(/shut down/),
    });
    expect(await trader.cancelOrder(ref)).toMatchObject({ kind: "failed", retryable: true });
    expect(emulator.stats().requests).toBe(before);
  });
});
