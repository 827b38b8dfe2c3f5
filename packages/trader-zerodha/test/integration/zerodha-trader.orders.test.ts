import { OrderStatusReportSchema, SubmitResultSchema } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { describe, expect, it } from "vitest";
import type { KiteApi } from "../../src/kite/kite-api.js";
import { orderTag } from "../../src/tag.js";
import {
  contextFor,
  ended,
  placedId,
  queryUntil,
  refOf,
  submit,
  todaysSignal,
  traderFixture,
} from "../../src/test-support/harness.js";
import type { ZerodhaTrader } from "../../src/zerodha-trader.js";

const fixture = traderFixture();
let emulator: KiteEmulator;

async function ready(
  env: Record<string, string> = {},
  api?: (real: KiteApi) => KiteApi,
): Promise<ZerodhaTrader> {
  const started = await fixture.setup(env, {}, api);
  emulator = started.emulator;
  return started.trader;
}

const placements = () =>
  emulator
    .requests()
    .filter((request) => request.method === "POST" && request.route === "/orders/:variety");

describe("ZerodhaTrader: a signal becomes one Kite order", () => {
  it("places a MARKET order with the instrument's exchange and symbol, market protection and the client order id as its tag, and reports its fill", async () => {
    const trader = await ready({ ZERODHA_MARKET_PROTECTION: "2.5" });
    emulator.setPrice("NSE", "RELIANCE", 1432.4);
    const signal = todaysSignal({
      id: "sig-market-1",
      signalType: "SELL",
      quantity: 7,
      validatedQuantity: 5,
    });
    const context = contextFor(signal);

    const result = await trader.executeOrder(signal, null, context);
    expect(SubmitResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      kind: "placed",
      payload: {
        instrument_token: 738561,
        signal_type: "SELL",
        quantity: 5,
        price: null,
        broker: "zerodha",
        execution_mode: "zerodha",
        status: "PLACED",
        strategy_id: "momentum_nifty_1",
      },
    });
    const orderId = placedId(result);

    expect(placements()).toHaveLength(1);
    expect(placements()[0]?.body).toMatchObject({
      exchange: "NSE",
      tradingsymbol: "RELIANCE",
      transaction_type: "SELL",
      quantity: "5",
      product: "MIS",
      order_type: "MARKET",
      market_protection: "2.5",
      tag: context.clientOrderId,
    });
    // The engine's client order id is the tag earlier versions gave the signal.
    expect(context.clientOrderId).toBe(orderTag(signal.id));
    expect(placements()[0]?.body).not.toHaveProperty("price");
    expect(emulator.orders()[0]).toMatchObject({ order_id: orderId, tag: context.clientOrderId });

    const end = await queryUntil(trader, refOf(signal, orderId), ended);
    if (end.kind !== "found") throw new Error("expected found");
    expect(OrderStatusReportSchema.parse(end.report)).toEqual(end.report);
    expect(end.report).toMatchObject({
      clientOrderId: context.clientOrderId,
      orderId,
      status: "filled",
      quantity: 5,
      filledQuantity: 5,
      averagePrice: 1432.4,
      limitPrice: null,
      message: null,
      fees: null,
    });
    expect(end.report.updatedAt).toMatch(/Z$/);
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
    const result = await submit(trader, signal);
    // A BUY limit is rounded down to the 0.05 tick, never paying more than validated.
    expect(result).toMatchObject({ kind: "placed", payload: { price: 1501.35 } });
    expect(placements()[0]?.body).toMatchObject({
      order_type: "LIMIT",
      price: "1501.35",
      product: "CNC",
      tradingsymbol: "INFY",
    });
    expect(placements()[0]?.body).not.toHaveProperty("market_protection");
    const end = await queryUntil(trader, refOf(signal, placedId(result)), ended);
    // The market is below the limit: the emulator fills at the better price.
    expect(end).toMatchObject({
      kind: "found",
      report: { status: "filled", averagePrice: 1500, filledQuantity: 10, limitPrice: 1501.35 },
    });
  });

  it("falls back to the strategy's price for LIMIT, and fails without any price", async () => {
    const trader = await ready({ ZERODHA_ORDER_TYPE: "limit" });
    const noValidated = todaysSignal({ id: "sig-limit-2", price: 1400.02, validatedPrice: null });
    expect(await submit(trader, noValidated)).toMatchObject({
      kind: "placed",
      payload: { price: 1400 },
    });
    const none = todaysSignal({ id: "sig-limit-3", price: null, validatedPrice: null });
    expect(await submit(trader, none)).toMatchObject({
      kind: "failed",
      payload: { error_code: "INVALID_SIGNAL" },
    });
    expect(placements()).toHaveLength(1);
  });

  it("reports a margin rejection as `rejected` with Kite's message", async () => {
    const trader = await ready();
    emulator.setAvailableMargin(1_000);
    const signal = todaysSignal({ id: "sig-margin-1" });
    const orderId = placedId(await submit(trader, signal));
    const end = await queryUntil(trader, refOf(signal, orderId), ended);
    expect(end).toMatchObject({
      kind: "found",
      report: { status: "rejected", orderId, filledQuantity: 0, averagePrice: null },
    });
    expect(end.kind === "found" && end.report.message).toMatch(/^Insufficient funds/);
  });

  it("answers Kite's refusal of the placement itself with BROKER_REJECTED and Kite's message, without asking anything else", async () => {
    // The real client, asking for a symbol Kite does not list: Kite answers 400 InputException.
    const trader = await ready({}, (real) => ({
      ...real,
      placeOrder: (params) => real.placeOrder({ ...params, tradingsymbol: "NOSUCHSYMBOL" }),
    }));
    const result = await submit(trader, todaysSignal({ id: "sig-refused" }));
    expect(result).toMatchObject({
      kind: "failed",
      payload: {
        error_code: "BROKER_REJECTED",
        error_message:
          "The instrument you are placing an order for has either expired or does not exist.",
        order_id: "N/A",
      },
    });
    expect(placements()).toHaveLength(1);
    expect(emulator.stats().requestsByPath["GET /orders"]).toBeUndefined();
  });

  it.each([
    ["OrderException", "failed"],
    ["MarginException", "failed"],
    ["HoldingException", "failed"],
    ["PermissionException", "failed"],
    ["UserException", "failed"],
    ["GeneralException", "unknown"],
    ["NetworkException", "unknown"],
    ["DataException", "unknown"],
  ] as const)("answers a placement rejected as %s with %s", async (errorType, kind) => {
    // The client rejects with Kite's envelope; the emulator cannot produce every type.
    const trader = await ready({}, (real) => ({
      ...real,
      placeOrder: () =>
        Promise.reject({ status: "error", error_type: errorType, message: "m", data: null }),
    }));
    const result = await submit(trader, todaysSignal({ id: `sig-${errorType}` }));
    expect(result.kind).toBe(kind);
    if (result.kind === "failed") expect(result.payload.error_code).toBe("BROKER_REJECTED");
    if (result.kind === "unknown") expect(result.reason).toContain(errorType);
  });

  it("answers a 200 that is not the success envelope with unknown", async () => {
    const trader = await ready({}, (real) => ({
      ...real,
      placeOrder: () => Promise.resolve({ status: "ok" }),
    }));
    const result = await submit(trader, todaysSignal({ id: "sig-odd-200" }));
    expect(result).toMatchObject({ kind: "unknown" });
  });

  it("fails an unknown instrument without sending anything to Kite", async () => {
    const trader = await ready();
    const before = emulator.requests().length;
    const result = await submit(
      trader,
      todaysSignal({ id: "sig-unknown", instrumentToken: 12345 }),
    );
    expect(result).toMatchObject({
      kind: "failed",
      payload: { error_code: "INSTRUMENT_NOT_FOUND", order_id: "N/A" },
    });
    expect(emulator.requests().length).toBe(before);
  });

  it("fails a quantity that is not a whole number of lots", async () => {
    const trader = await ready();
    const future = todaysSignal({ id: "sig-lot", instrumentToken: 13238786, quantity: 100 });
    const result = await submit(trader, future);
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "INVALID_QUANTITY" } });
    expect(result.kind === "failed" && result.payload.error_message).toContain("lot size 65");
    const whole = todaysSignal({ id: "sig-lot-ok", instrumentToken: 13238786, quantity: 130 });
    expect(await submit(trader, whole)).toMatchObject({
      kind: "placed",
      payload: { quantity: 130 },
    });
    expect(placements()).toHaveLength(1);
  });

  it("fails a HOLD signal", async () => {
    const trader = await ready();
    const result = await submit(trader, todaysSignal({ id: "sig-hold", signalType: "HOLD" }));
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "INVALID_SIGNAL" } });
  });

  it("shares one placement between two concurrent calls for one client order id", async () => {
    const trader = await ready();
    const signal = todaysSignal({ id: "sig-twice" });
    const [first, second] = await Promise.all([submit(trader, signal), submit(trader, signal)]);
    expect(second).toEqual(first);
    expect(placements()).toHaveLength(1);
  });
});
