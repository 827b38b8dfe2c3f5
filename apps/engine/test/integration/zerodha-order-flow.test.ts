import {
  OrderFailedEventSchema,
  OrderFilledEventSchema,
  OrderPlacedEventSchema,
} from "@engine/core";
import { orderTag } from "@engine/trader-zerodha";
import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaTest } from "./test-support/fixtures.js";
import { resultCounts } from "./test-support/probes.js";

const RELIANCE = 738561;
const INFY = 408065;
const strategyId = "zd_flow";

const it = zerodhaTest.extend("options", FILE_SCOPE, {
  label: "zdflow",
  kite: { fillDelayMs: 100 },
  strategyIds: [strategyId],
  tokens: [RELIANCE, INFY],
});

describe("zerodha: a validated signal becomes one Kite order, followed to its end", () => {
  it.for([
    { side: "BUY" as const, token: RELIANCE, symbol: "RELIANCE", quantity: 7, price: 1431.85 },
    { side: "SELL" as const, token: INFY, symbol: "INFY", quantity: 3, price: 1528.4 },
  ])(
    "places one MARKET $side order for $symbol with market protection and the signal's tag, then publishes order_placed and order_filled at Kite's average price",
    async ({ side, token, symbol, quantity, price }, { emulator, bench, trade }) => {
      emulator.setPrice("NSE", symbol, price);
      const signal = await trade({ instrumentToken: token, signalType: side, quantity });
      const tag = orderTag(signal.id);

      // Exactly one order at Kite, as the trader built it.
      const orders = emulator.orders().filter((order) => order.tag === tag);
      expect(orders).toHaveLength(1);
      const order = orders[0];
      expect(order).toMatchObject({
        variety: "regular",
        exchange: "NSE",
        tradingsymbol: symbol,
        instrument_token: token,
        transaction_type: side,
        quantity,
        product: "MIS",
        order_type: "MARKET",
        market_protection: -1,
        validity: "DAY",
        status: "COMPLETE",
        filled_quantity: quantity,
        average_price: price,
        tag,
      });
      const placements = emulator
        .requests()
        .filter((r) => r.method === "POST" && r.route === "/orders/:variety" && r.body.tag === tag);
      expect(placements).toHaveLength(1);
      expect(placements[0]?.body).toMatchObject({
        exchange: "NSE",
        tradingsymbol: symbol,
        transaction_type: side,
        quantity: String(quantity),
        product: "MIS",
        order_type: "MARKET",
        market_protection: "-1",
        tag,
      });
      expect(placements[0]?.status).toBe(200);

      const outcome = bench.ledger.of(signal.id);
      expect(resultCounts(outcome)).toEqual({ placed: 1, filled: 1, failed: 0 });
      const lineage = {
        source: "trading_engine",
        broker: "zerodha",
        version: 1,
        key: `${strategyId}:${token}`,
        correlation_id: signal.correlation_id,
        causation_id: signal.id,
        trace_id: signal.trace_id,
        parent_trace_id: signal.id,
      };
      const placedMessage = outcome.placed[0];
      expect(placedMessage?.key).toBe(`${strategyId}:${token}`);
      const placed = OrderPlacedEventSchema.parse(placedMessage?.json);
      expect(placed).toMatchObject({
        type: "order_placed",
        ...lineage,
        data: {
          order_id: order?.order_id,
          instrument_token: token,
          signal_type: side,
          quantity,
          // MARKET: Kite prices it within the protection; the contract's price is the limit.
          price: null,
          broker: "zerodha",
          status: "PLACED",
          strategy_id: strategyId,
          execution_mode: "zerodha",
        },
      });

      const filledMessage = outcome.filled[0];
      expect(filledMessage?.key).toBe(`${strategyId}:${token}`);
      const filled = OrderFilledEventSchema.parse(filledMessage?.json);
      expect(filled).toMatchObject({
        type: "order_filled",
        ...lineage,
        data: {
          order_id: order?.order_id,
          instrument_token: token,
          quantity,
          fill_price: price,
          broker: "zerodha",
          side,
          strategy_id: strategyId,
          signal_type: side,
          execution_mode: "zerodha",
          fees: null,
        },
      });
      expect(filled.id).not.toBe(placed.id);
      // The end of an order never precedes its placement.
      expect(Date.parse(filled.ts)).toBeGreaterThanOrEqual(Date.parse(placed.ts));

      // Paper trades the same signal on its own namespace.
      expect(outcome.paper).toHaveLength(1);
      expect(outcome.paper[0]).toMatchObject({
        topic: "paper.orders.filled",
        json: { type: "order_filled", broker: "paper", causation_id: signal.id },
      });
    },
  );

  it("publishes order_failed BROKER_REJECTED with Kite's status message when the margin is short", async ({
    emulator,
    bench,
    trade,
  }) => {
    emulator.setAvailableMargin(500);
    try {
      const signal = await trade({ instrumentToken: RELIANCE, quantity: 5 });
      const tag = orderTag(signal.id);

      // Kite gives the order an id and rejects it afterwards, as it does for margin.
      const orders = emulator.orders().filter((order) => order.tag === tag);
      expect(orders).toHaveLength(1);
      const order = orders[0];
      expect(order?.status).toBe("REJECTED");
      expect(order?.status_message).toMatch(/Insufficient funds/);

      const outcome = bench.ledger.of(signal.id);
      expect(resultCounts(outcome)).toEqual({ placed: 1, filled: 0, failed: 1 });
      const failed = OrderFailedEventSchema.parse(outcome.failed[0]?.json);
      expect(failed).toMatchObject({
        type: "order_failed",
        broker: "zerodha",
        causation_id: signal.id,
        correlation_id: signal.correlation_id,
        trace_id: signal.trace_id,
        parent_trace_id: signal.id,
        data: {
          order_id: order?.order_id,
          error_code: "BROKER_REJECTED",
          execution_mode: "zerodha",
          strategy_id: strategyId,
          instrument_token: RELIANCE,
          signal_type: "BUY",
          quantity: 5,
        },
      });
      expect(failed.data.error_message).toContain(order?.status_message ?? "no status message");
      expect(outcome.paper[0]?.topic).toBe("paper.orders.filled");
    } finally {
      emulator.setAvailableMargin(10_000_000);
    }
  });

  it("publishes order_failed INSTRUMENT_NOT_FOUND for a token Kite does not list, without a request to Kite", async ({
    emulator,
    bench,
    trade,
  }) => {
    const unknownToken = 987_654_321;
    const placementsBefore = emulator.stats().placementRequests;
    const signal = await trade({ instrumentToken: unknownToken, quantity: 2 });
    const tag = orderTag(signal.id);

    const outcome = bench.ledger.of(signal.id);
    expect(resultCounts(outcome)).toEqual({ placed: 0, filled: 0, failed: 1 });
    const failed = OrderFailedEventSchema.parse(outcome.failed[0]?.json);
    expect(failed).toMatchObject({
      broker: "zerodha",
      causation_id: signal.id,
      key: `${strategyId}:${unknownToken}`,
      data: {
        error_code: "INSTRUMENT_NOT_FOUND",
        order_id: "N/A",
        instrument_token: unknownToken,
        execution_mode: "zerodha",
      },
    });
    // Nothing reached Kite for it: no request carries its tag, and no placement was attempted.
    expect(emulator.requests().filter((r) => r.body.tag === tag)).toEqual([]);
    expect(emulator.stats().placementRequests).toBe(placementsBefore);
    expect(emulator.stats().ordersByTag[tag]).toBeUndefined();
  });
});
