import { ExecutionResultSchema, type OrderPlaced, TraderUnavailableError } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { KiteConnect } from "kiteconnect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KiteOrderParams } from "./kite/order-params.js";
import { orderTag } from "./tag.js";
import {
  ACCESS_TOKEN,
  API_KEY,
  eventually,
  startEmulator,
  todaysSignal,
  tokenFile,
  traderFor,
} from "./test-support/harness.js";
import type { ZerodhaTrader } from "./zerodha-trader.js";

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

function placedOf(result: unknown): OrderPlaced {
  const parsed = ExecutionResultSchema.parse(result);
  if (parsed.kind !== "placed") throw new Error(`expected placed, got ${JSON.stringify(parsed)}`);
  return parsed.payload;
}

const placementCount = () => emulator.stats().requestsByPath["POST /orders/:variety"] ?? 0;

describe("ZerodhaTrader: session and token rotation", () => {
  it("answers TRADER_UNAVAILABLE once the token expires, then recovers when a new token is written to the file", async () => {
    const { trader, rotate } = await withTokenFile();
    expect(trader.health()).toEqual({ status: "ready" });
    emulator.expireToken();

    const refused = await trader.executeOrder(todaysSignal({ id: "sig-expired" }), null);
    expect(refused).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(trader.health()).toMatchObject({ status: "unavailable" });
    const health = trader.health();
    expect(health.status === "unavailable" && health.reason).toMatch(/access token/);

    // While the token is known bad, signals are refused without a request.
    const before = placementCount();
    await trader.executeOrder(todaysSignal({ id: "sig-expired-2" }), null);
    expect(placementCount()).toBe(before);

    await rotate("rotated_token_abcdef123456");
    await eventually(() => trader.health().status === "ready");
    const placed = await trader.executeOrder(todaysSignal({ id: "sig-after-rotation" }), null);
    expect(placed.kind).toBe("placed");
    const last = emulator.requests().at(-1);
    expect(last?.route).toBe("/orders/:variety");
  });

  it("picks up a rotated token before it is rejected, without becoming unavailable", async () => {
    const { trader, rotate } = await withTokenFile();
    await rotate("next_day_token_1234567890");
    expect((await trader.executeOrder(todaysSignal({ id: "sig-proactive" }), null)).kind).toBe(
      "placed",
    );
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
    expect(await trader.executeOrder(todaysSignal(), null)).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(trader.health()).toEqual({ status: "unavailable", reason: "not initialised" });
    await trader.initialize();
    await trader.shutdown();
    expect(await trader.executeOrder(todaysSignal(), null)).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(await trader.initialize()).toBe(false);
    expect(placementCount()).toBe(0);
  });
});

describe("ZerodhaTrader.awaitOrderCompletion", () => {
  it("keeps waiting through a token expiry and answers once a new token arrives", async () => {
    const { trader, rotate } = await withTokenFile();
    emulator.setFills({ fillDelayMs: 300 });
    const signal = todaysSignal({ id: "sig-follow-expiry" });
    const placed = placedOf(await trader.executeOrder(signal, null));
    emulator.expireToken();
    const completion = trader.awaitOrderCompletion(signal, placed, new AbortController().signal);
    await eventually(() => trader.health().status === "unavailable");
    await new Promise((resolve) => setTimeout(resolve, 400));
    await rotate("rotated_token_for_follow_1");
    expect(await completion).toMatchObject({
      kind: "filled",
      payload: { order_id: placed.order_id },
    });
    expect(trader.health()).toEqual({ status: "ready" });
  });

  it("fills with the partial quantity when a partly filled order is cancelled", async () => {
    // An emulator on a clock of our own, to stop exactly between two partial fills.
    let now = Date.now();
    const stepped = await startEmulator({ clock: () => now, fillDelayMs: 1_000, fillSteps: 2 });
    cleanups.push(() => stepped.stop());
    const { trader } = traderFor(stepped, { ZERODHA_ORDER_TYPE: "LIMIT" });
    traders.push(trader);
    expect(await trader.initialize()).toBe(true);
    stepped.setPrice("NSE", "RELIANCE", 1400);
    const signal = todaysSignal({ id: "sig-partial", quantity: 10, validatedPrice: 1400 });
    const placed = placedOf(await trader.executeOrder(signal, null));
    // First of two fills at 3/4 + 1/8 of the fill delay; the market then moves away.
    now += 875;
    expect(stepped.orderHistory(placed.order_id)?.at(-1)).toMatchObject({
      status: "OPEN",
      filled_quantity: 5,
    });
    stepped.setPrice("NSE", "RELIANCE", 1500);
    const kite = new KiteConnect({
      api_key: API_KEY,
      access_token: ACCESS_TOKEN,
      root: stepped.url,
    });
    await kite.cancelOrder("regular", placed.order_id);
    const result = await trader.awaitOrderCompletion(signal, placed, new AbortController().signal);
    expect(result).toMatchObject({ kind: "filled", payload: { quantity: 5, fill_price: 1400 } });
  });

  it("answers BROKER_REJECTED for an order cancelled with nothing filled", async () => {
    const trader = await ready({ ZERODHA_ORDER_TYPE: "LIMIT" });
    emulator.setPrice("NSE", "RELIANCE", 1500);
    const signal = todaysSignal({ id: "sig-cancelled", validatedPrice: 1000 });
    const placed = placedOf(await trader.executeOrder(signal, null));
    const kite = new KiteConnect({
      api_key: API_KEY,
      access_token: ACCESS_TOKEN,
      root: emulator.url,
    });
    await kite.cancelOrder("regular", placed.order_id);
    const result = await trader.awaitOrderCompletion(signal, placed, new AbortController().signal);
    expect(result).toMatchObject({
      kind: "failed",
      payload: { error_code: "BROKER_REJECTED", order_id: placed.order_id },
    });
  });

  it("rejects with an AbortError when the engine stops waiting, and on shutdown", async () => {
    const trader = await ready({ ZERODHA_ORDER_TYPE: "LIMIT" });
    emulator.setPrice("NSE", "RELIANCE", 1500);
    const signal = todaysSignal({ id: "sig-open", validatedPrice: 1000 });
    const placed = placedOf(await trader.executeOrder(signal, null));
    const abort = new AbortController();
    const waiting = trader.awaitOrderCompletion(signal, placed, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });

    const second = trader.awaitOrderCompletion(signal, placed, new AbortController().signal);
    setTimeout(() => void trader.shutdown(), 50);
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
  });

  it("throws (rather than answering) when the trader is not running, so the engine tries later", async () => {
    const { trader } = traderFor(emulator);
    traders.push(trader);
    const signal = todaysSignal();
    const placed = {
      order_id: "1",
      instrument_token: 738561,
      signal_type: "BUY",
      quantity: 10,
      price: null,
      timestamp: new Date().toISOString(),
      broker: "zerodha",
      status: "PLACED",
      strategy_id: "s",
      execution_mode: "zerodha",
    } satisfies OrderPlaced;
    await expect(
      trader.awaitOrderCompletion(signal, placed, new AbortController().signal),
    ).rejects.toBeInstanceOf(TraderUnavailableError);
  });
});

describe("ZerodhaTrader.recoverOrder", () => {
  async function placeDirectly(tag: string): Promise<string> {
    const kite = new KiteConnect({
      api_key: API_KEY,
      access_token: ACCESS_TOKEN,
      root: emulator.url,
    });
    const params: KiteOrderParams = {
      exchange: "NSE",
      tradingsymbol: "RELIANCE",
      transaction_type: "BUY",
      quantity: 10,
      product: "MIS",
      order_type: "MARKET",
      validity: "DAY",
      market_protection: -1,
      tag,
    };
    const placed = (await kite.placeOrder("regular", params as never)) as { order_id: string };
    return placed.order_id;
  }

  it("adopts the order that the interrupted attempt placed, without placing another", async () => {
    const trader = await ready();
    const signal = todaysSignal({ id: "sig-crashed" });
    const orderId = await placeDirectly(orderTag(signal.id));
    const result = await trader.recoverOrder(signal, null);
    expect(placedOf(result).order_id).toBe(orderId);
    expect(placementCount()).toBe(1);
  });

  it("executes the signal when Kite confirms no order carries its tag", async () => {
    const trader = await ready();
    await placeDirectly("someotherorder");
    const signal = todaysSignal({ id: "sig-never-sent" });
    const result = await trader.recoverOrder(signal, null);
    expect(result.kind).toBe("placed");
    expect(placementCount()).toBe(2);
    expect(emulator.orders().at(-1)?.tag).toBe(orderTag(signal.id));
  });

  it("does not re-place a signal from an earlier trading day (Kite's order book is daily)", async () => {
    const trader = await ready();
    const signal = todaysSignal({ id: "sig-yesterday" });
    signal.data.timestamp = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const result = await trader.recoverOrder(signal, null);
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "BROKER_UNAVAILABLE" } });
    expect(placementCount()).toBe(0);
  });

  it("answers 'state unknown' when the order book cannot be read", async () => {
    const trader = await ready({ ZERODHA_EXECUTION_BUDGET_MS: "2500" });
    emulator.setFaults({ orderSystemDown: null, unexpectedContentType: {} });
    const result = await trader.recoverOrder(todaysSignal({ id: "sig-unknown-state" }), null);
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "BROKER_UNAVAILABLE" } });
    expect(result.kind === "failed" && result.payload.error_message).toMatch(
      /^order state unknown/,
    );
    expect(placementCount()).toBe(0);
  });
});
