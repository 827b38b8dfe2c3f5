import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaTest } from "./test-support/fixtures.js";
import { sleep } from "./test-support/probes.js";
import { NSE_EQUITIES, priceOf } from "./test-support/zerodha-harness.js";

const TTL_MS = 1_500;
const strategyId = "zd_ttl";
const token = NSE_EQUITIES[0]?.token ?? 0;

const it = zerodhaTest.extend("options", FILE_SCOPE, {
  label: "zdttl",
  kite: { fillDelayMs: 100 },
  env: { ZERODHA_ORDER_TYPE: "limit", ORDER_TTL_MS_BY_NAMESPACE: `zerodha=${TTL_MS}` },
  strategyIds: [strategyId],
  tokens: [token],
});

/**
 * Issue 11: a LIMIT order still open at Kite after `ORDER_TTL_MS` is cancelled; nothing filled
 * ends in `order_failed` `ORDER_EXPIRED`, part filled in one `order_filled` with that part.
 */
describe("zerodha: time in force of LIMIT orders held open at Kite", () => {
  it("cancels a LIMIT order away from the market at its time in force: order_failed ORDER_EXPIRED", async ({
    emulator,
    bench,
    trade,
  }) => {
    // A BUY limit 10 % under the market rests OPEN at Kite.
    const limit = Math.round(priceOf(token) * 0.9 * 20) / 20;
    const signal = await trade({
      instrumentToken: token,
      price: limit,
      quantity: 3,
    });
    await sleep(500);
    expect(bench.ledger.problems([signal.id], emulator, { end: "failed" })).toEqual([]);
    const failed = bench.ledger.of(signal.id).failed[0]?.json.data;
    expect(failed).toMatchObject({ error_code: "ORDER_EXPIRED", quantity: 3 });
    expect(emulator.orders().find((o) => o.tag && failed?.order_id === o.order_id)?.status).toBe(
      "CANCELLED",
    );
    expect(emulator.stats().cancellations).toBeGreaterThanOrEqual(1);
  });

  it("ends a partly filled order that expires in one order_filled with the filled quantity", async ({
    emulator,
    bench,
    trade,
  }) => {
    // Two fill steps, held after the first: half the order fills, the rest waits.
    emulator.setFills({ fillSteps: 2, hold: true, holdAfterFills: 1 });
    const signal = await trade({
      instrumentToken: token,
      price: priceOf(token) * 1.05,
      quantity: 4,
    });
    await sleep(500);
    emulator.setFills({ fillSteps: 1, hold: false });
    expect(bench.ledger.problems([signal.id], emulator, { end: "filled" })).toEqual([]);
    expect(bench.ledger.of(signal.id).filled[0]?.json.data).toMatchObject({ quantity: 2 });
  });
});
