import {
  clientOrderId,
  OrderFailedEventSchema,
  OrderFilledEventSchema,
  OrderPlacedEventSchema,
} from "@engine/core";
import { orderTag } from "@engine/trader-zerodha";
import { describe, expect } from "vitest";
import { FILE_SCOPE, upstoxTest } from "./test-support/fixtures.js";
import { resultCounts } from "./test-support/probes.js";
import { outcomeOn, RELIANCE_KEY } from "./test-support/upstox-harness.js";

const RELIANCE = 738561;
/** Listed by Kite (the platform's registry) but not in the Upstox emulator's master. */
const ICICIBANK = 1270529;
/** Listed nowhere. */
const UNKNOWN = 987_654_321;

const it = upstoxTest.extend("options", FILE_SCOPE, {
  label: "upflow",
  upstox: { fillDelayMs: 100 },
  strategies: [
    { id: "up_only", targets: ["upstox"] },
    { id: "up_and_kite", zerodha: true, targets: ["upstox"] },
  ],
  tokens: [RELIANCE, ICICIBANK, UNKNOWN],
});

describe("upstox: a validated signal routed by strategy_execution_targets becomes one Upstox order", () => {
  it("places one MARKET order with the instrument key, side, quantity, product, tag and protection, then publishes order_placed and order_filled at Upstox's average price; paper fills beside it", async ({
    bench,
    upstox,
    kite,
    trade,
  }) => {
    upstox.setPrice(RELIANCE_KEY, 1431.85);
    const signal = await trade({
      strategyId: "up_only",
      instrumentToken: RELIANCE,
      signalType: "BUY",
      quantity: 7,
    });
    const tag = clientOrderId(signal.id, "upstox");

    const placements = upstox
      .requests()
      .filter((r) => r.path === "/v3/order/place" && (r.body as { tag?: string }).tag === tag);
    expect(placements).toHaveLength(1);
    expect(placements[0]?.body).toMatchObject({
      instrument_token: RELIANCE_KEY,
      transaction_type: "BUY",
      quantity: 7,
      product: "I",
      order_type: "MARKET",
      price: 0,
      market_protection: -1,
      validity: "DAY",
      tag,
    });
    const orders = upstox.orders().filter((order) => order.tag === tag);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      status: "complete",
      filled_quantity: 7,
      average_price: 1431.85,
    });

    const outcome = outcomeOn(bench, signal.id, "upstox");
    expect(resultCounts(outcome)).toEqual({ placed: 1, filled: 1, failed: 0 });
    const placed = OrderPlacedEventSchema.parse(outcome.placed[0]?.json);
    expect(placed).toMatchObject({
      broker: "upstox",
      causation_id: signal.id,
      key: `up_only:${RELIANCE}`,
      data: { order_id: orders[0]?.order_id, execution_mode: "upstox", quantity: 7, price: null },
    });
    const filled = OrderFilledEventSchema.parse(outcome.filled[0]?.json);
    expect(filled.data).toMatchObject({
      order_id: orders[0]?.order_id,
      quantity: 7,
      fill_price: 1431.85,
      side: "BUY",
      execution_mode: "upstox",
      broker: "upstox",
    });
    expect(Date.parse(filled.ts)).toBeGreaterThanOrEqual(Date.parse(placed.ts));

    // The trader keeps Upstox's master in the engine's database, beside the memory copy.
    const stored = await bench.sql.query<{ n: number }>(
      "select count(*)::int as n from upstox_instruments",
    );
    expect(stored[0]?.n).toBe(5);

    // Paper trades it too; zerodha, not enabled for this strategy, sees nothing.
    expect(outcomeOn(bench, signal.id, "paper").filled).toHaveLength(1);
    expect(outcomeOn(bench, signal.id, "zerodha")).toEqual({
      placed: [],
      filled: [],
      failed: [],
    });
    expect(kite.orders().filter((order) => order.tag === orderTag(signal.id))).toEqual([]);
  });

  it("places one order at each broker for a strategy enabled on zerodha and upstox", async ({
    bench,
    upstox,
    kite,
    trade,
  }) => {
    const signal = await trade(
      { strategyId: "up_and_kite", instrumentToken: RELIANCE, signalType: "SELL", quantity: 3 },
      ["upstox", "zerodha", "paper"],
    );
    expect(
      upstox.orders().filter((o) => o.tag === clientOrderId(signal.id, "upstox")),
    ).toHaveLength(1);
    expect(kite.orders().filter((o) => o.tag === orderTag(signal.id))).toHaveLength(1);
    expect(outcomeOn(bench, signal.id, "upstox").filled).toHaveLength(1);
    expect(outcomeOn(bench, signal.id, "zerodha").filled).toHaveLength(1);
  });

  it("publishes order_failed BROKER_REJECTED with Upstox's message when funds are short", async ({
    bench,
    upstox,
    trade,
  }) => {
    upstox.setAvailableFunds(100);
    try {
      const signal = await trade({ strategyId: "up_only", instrumentToken: RELIANCE, quantity: 5 });
      const orders = upstox.orders().filter((o) => o.tag === clientOrderId(signal.id, "upstox"));
      expect(orders).toHaveLength(1);
      expect(orders[0]?.status).toBe("rejected");
      const outcome = outcomeOn(bench, signal.id, "upstox");
      expect(outcome.filled).toHaveLength(0);
      expect(outcome.failed).toHaveLength(1);
      const failed = OrderFailedEventSchema.parse(outcome.failed[0]?.json);
      expect(failed.data).toMatchObject({
        error_code: "BROKER_REJECTED",
        order_id: orders[0]?.order_id,
        execution_mode: "upstox",
      });
      expect(failed.data.error_message).toContain("Insufficient funds");
      expect(outcomeOn(bench, signal.id, "paper").filled).toHaveLength(1);
    } finally {
      upstox.setAvailableFunds(10_000_000);
    }
  });

  it("stops and resumes upstox orders for a strategy within the cache TTL when its target row changes, without a restart", async ({
    bench,
    upstox,
    trade,
  }) => {
    const setTarget = (enabled: boolean) =>
      bench.sql.query(
        "update strategy_execution_targets set enabled = $1, updated_at = now() where strategy_id = 'up_only' and namespace = 'upstox'",
        [enabled],
      );
    await setTarget(false);
    try {
      // STRATEGY_CONFIG_TTL_MS is 500 in these tests.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const off = await trade({ strategyId: "up_only", instrumentToken: RELIANCE, quantity: 1 }, [
        "paper",
      ]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(outcomeOn(bench, off.id, "upstox")).toEqual({ placed: [], filled: [], failed: [] });
      expect(upstox.orders().filter((o) => o.tag === clientOrderId(off.id, "upstox"))).toEqual([]);
    } finally {
      await setTarget(true);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const on = await trade({ strategyId: "up_only", instrumentToken: RELIANCE, quantity: 1 });
    expect(outcomeOn(bench, on.id, "upstox").filled).toHaveLength(1);
  });

  it.for([
    ["Upstox does not list", ICICIBANK],
    ["nobody lists", UNKNOWN],
  ] as const)(
    "publishes order_failed INSTRUMENT_NOT_FOUND for an instrument %s, without a request",
    async ([, token], { bench, upstox, trade }) => {
      const before = upstox.requests().filter((r) => r.path === "/v3/order/place").length;
      const signal = await trade({ strategyId: "up_only", instrumentToken: token, quantity: 2 });
      const outcome = outcomeOn(bench, signal.id, "upstox");
      expect(outcome.placed).toHaveLength(0);
      expect(outcome.failed).toHaveLength(1);
      expect(OrderFailedEventSchema.parse(outcome.failed[0]?.json).data).toMatchObject({
        error_code: "INSTRUMENT_NOT_FOUND",
        order_id: "N/A",
        instrument_token: token,
      });
      expect(upstox.requests().filter((r) => r.path === "/v3/order/place")).toHaveLength(before);
    },
  );
});
