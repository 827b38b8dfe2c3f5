import { ExecutionResultSchema, type OrderPlaced } from "@engine/core";
import { sampleQuote } from "@engine/core/testing";
import type { KiteEmulator } from "@engine/kite-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKiteApi, type KiteApi } from "./kite/kite-api.js";
import { orderTag } from "./tag.js";
import {
  ACCESS_TOKEN,
  API_KEY,
  startEmulator,
  todaysSignal,
  traderFor,
} from "./test-support/harness.js";
import type { ZerodhaTrader } from "./zerodha-trader.js";

let emulator: KiteEmulator;
const traders: ZerodhaTrader[] = [];

beforeEach(async () => {
  emulator = await startEmulator();
});

afterEach(async () => {
  await Promise.all(traders.splice(0).map((trader) => trader.shutdown()));
  await emulator.stop();
});

async function ready(env: Record<string, string> = {}): Promise<ZerodhaTrader> {
  const { trader } = traderFor(emulator, env);
  traders.push(trader);
  expect(await trader.initialize()).toBe(true);
  return trader;
}

function placedOf(result: unknown): OrderPlaced {
  const parsed = ExecutionResultSchema.parse(result);
  if (parsed.kind !== "placed") throw new Error(`expected placed, got ${JSON.stringify(parsed)}`);
  return parsed.payload;
}

const placements = () =>
  emulator
    .requests()
    .filter((request) => request.method === "POST" && request.route === "/orders/:variety");

describe("ZerodhaTrader: a signal becomes one Kite order", () => {
  it("places a MARKET order with the instrument's exchange and symbol, market protection and the signal's tag, then follows it to the fill", async () => {
    const trader = await ready();
    emulator.setPrice("NSE", "RELIANCE", 1432.4);
    const signal = todaysSignal({
      id: "sig-market-1",
      signalType: "SELL",
      quantity: 7,
      validatedQuantity: 5,
    });

    const placed = placedOf(await trader.executeOrder(signal, sampleQuote()));
    expect(placed).toMatchObject({
      instrument_token: 738561,
      signal_type: "SELL",
      quantity: 5,
      price: null,
      broker: "zerodha",
      execution_mode: "zerodha",
      status: "PLACED",
      strategy_id: "momentum_nifty_1",
    });
    expect(placed.timestamp).toMatch(/Z$|[+-]\d{2}:\d{2}$/);

    expect(placements()).toHaveLength(1);
    expect(placements()[0]?.body).toMatchObject({
      exchange: "NSE",
      tradingsymbol: "RELIANCE",
      transaction_type: "SELL",
      quantity: "5",
      product: "MIS",
      order_type: "MARKET",
      market_protection: "-1",
      tag: orderTag(signal.id),
    });
    expect(placements()[0]?.body).not.toHaveProperty("price");
    const [order] = emulator.orders();
    expect(order?.order_id).toBe(placed.order_id);
    expect(order?.tag).toBe(orderTag(signal.id));

    const result = await trader.awaitOrderCompletion(signal, placed, new AbortController().signal);
    expect(ExecutionResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      kind: "filled",
      payload: {
        order_id: placed.order_id,
        quantity: 5,
        fill_price: 1432.4,
        side: "SELL",
        signal_type: "SELL",
        fees: null,
        broker: "zerodha",
        execution_mode: "zerodha",
      },
    });
  });

  it("places a LIMIT order at the validated price on the tick, with the product from the settings", async () => {
    const trader = await ready({ ZERODHA_ORDER_TYPE: "LIMIT", ZERODHA_PRODUCT: "cnc" });
    emulator.setPrice("NSE", "INFY", 1500);
    const signal = todaysSignal({
      id: "sig-limit-1",
      instrumentToken: 408065,
      signalType: "BUY",
      price: 1503,
      validatedPrice: 1501.37,
    });
    const placed = placedOf(await trader.executeOrder(signal, null));
    // A BUY limit is rounded down to the 0.05 tick, never paying more than validated.
    expect(placed.price).toBe(1501.35);
    expect(placements()[0]?.body).toMatchObject({
      order_type: "LIMIT",
      price: "1501.35",
      product: "CNC",
      tradingsymbol: "INFY",
    });
    expect(placements()[0]?.body).not.toHaveProperty("market_protection");
    const result = await trader.awaitOrderCompletion(signal, placed, new AbortController().signal);
    // The market is below the limit: the emulator fills at the better price.
    expect(result).toMatchObject({ kind: "filled", payload: { fill_price: 1500, quantity: 10 } });
  });

  it("falls back to the strategy's price for LIMIT, and fails without any price", async () => {
    const trader = await ready({ ZERODHA_ORDER_TYPE: "limit" });
    const noValidated = todaysSignal({ id: "sig-limit-2", price: 1400.02, validatedPrice: null });
    expect(placedOf(await trader.executeOrder(noValidated, null)).price).toBe(1400);
    const none = todaysSignal({ id: "sig-limit-3", price: null, validatedPrice: null });
    expect(await trader.executeOrder(none, null)).toMatchObject({
      kind: "failed",
      payload: { error_code: "INVALID_SIGNAL" },
    });
    expect(placements()).toHaveLength(1);
  });

  it("reports a margin rejection with Kite's message", async () => {
    const trader = await ready();
    emulator.setAvailableMargin(1_000);
    const signal = todaysSignal({ id: "sig-margin-1" });
    const placed = placedOf(await trader.executeOrder(signal, null));
    const result = await trader.awaitOrderCompletion(signal, placed, new AbortController().signal);
    expect(result).toMatchObject({
      kind: "failed",
      payload: { error_code: "BROKER_REJECTED", order_id: placed.order_id },
    });
    expect(result.kind === "failed" && result.payload.error_message).toMatch(/^Insufficient funds/);
  });

  it("reports Kite's refusal of the placement itself as BROKER_REJECTED, with Kite's message", async () => {
    // The real client, asking for a symbol Kite does not list: Kite answers 400 InputException.
    const real = createKiteApi({
      apiKey: API_KEY,
      accessToken: ACCESS_TOKEN,
      root: emulator.url,
      timeoutMs: 2_000,
      instrumentsTimeoutMs: 5_000,
    });
    const api: KiteApi = {
      ...real,
      placeOrder: (params) => real.placeOrder({ ...params, tradingsymbol: "NOSUCHSYMBOL" }),
    };
    const { trader } = traderFor(emulator, {}, { tuning: { api } });
    traders.push(trader);
    expect(await trader.initialize()).toBe(true);
    const result = await trader.executeOrder(todaysSignal({ id: "sig-refused" }), null);
    expect(result).toMatchObject({
      kind: "failed",
      payload: {
        error_code: "BROKER_REJECTED",
        error_message:
          "The instrument you are placing an order for has either expired or does not exist.",
        order_id: "N/A",
      },
    });
    // A refusal is final: no reconciliation, no second attempt.
    expect(placements()).toHaveLength(1);
    expect(emulator.stats().requestsByPath["GET /orders"]).toBeUndefined();
  });

  it("fails an unknown instrument without sending anything to Kite", async () => {
    const trader = await ready();
    const before = emulator.requests().length;
    const result = await trader.executeOrder(
      todaysSignal({ id: "sig-unknown", instrumentToken: 12345 }),
      null,
    );
    expect(result).toMatchObject({
      kind: "failed",
      payload: { error_code: "INSTRUMENT_NOT_FOUND", order_id: "N/A" },
    });
    expect(emulator.requests().length).toBe(before);
    expect(placements()).toHaveLength(0);
  });

  it("fails a quantity that is not a whole number of lots", async () => {
    const trader = await ready();
    const future = todaysSignal({ id: "sig-lot", instrumentToken: 13238786, quantity: 100 });
    const result = await trader.executeOrder(future, null);
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "INVALID_QUANTITY" } });
    expect(result.kind === "failed" && result.payload.error_message).toContain("lot size 65");
    const whole = todaysSignal({ id: "sig-lot-ok", instrumentToken: 13238786, quantity: 130 });
    expect(placedOf(await trader.executeOrder(whole, null)).quantity).toBe(130);
    expect(placements()).toHaveLength(1);
  });

  it("fails a HOLD signal", async () => {
    const trader = await ready();
    const result = await trader.executeOrder(
      todaysSignal({ id: "sig-hold", signalType: "HOLD" }),
      null,
    );
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "INVALID_SIGNAL" } });
  });
});
