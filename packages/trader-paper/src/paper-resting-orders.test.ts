import { OrderStatusReportSchema } from "@engine/core";
import { FakeClock, sampleQuote, sampleSignal } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import { PaperTrader, type PaperTraderOptions } from "./paper-trader.js";
import { FakeMarketData } from "./test-support/fake-market-data.js";
import { refOf, submit } from "./test-support/submit.js";

/** A LIMIT paper trader on a fake market, counting `ordersChanged` calls. */
async function limitTrader(options: PaperTraderOptions = {}) {
  const clock = new FakeClock("2026-11-25T04:00:00Z");
  const market = new FakeMarketData();
  const changed = { count: 0 };
  const trader = new PaperTrader({
    orderType: "LIMIT",
    clock,
    marketData: market,
    ordersChanged: () => {
      changed.count += 1;
    },
    ...options,
  });
  await trader.initialize();
  return { trader, market, clock, changed };
}

/** Waits for the promise callbacks a fill on the tick path schedules. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("paper LIMIT orders", () => {
  it("fills at once when the touch is at the limit, at the touch", async () => {
    const { trader } = await limitTrader();
    const signal = sampleSignal({ validatedPrice: 2500 });
    const result = await submit(trader, signal, sampleQuote({ bestBid: 2499.95, bestAsk: 2500 }));
    expect(result.kind === "filled" && result.payload.fill_price).toBe(2500);
  });

  it("rests one tick above the limit, then fills when a later quote reaches it", async () => {
    const { trader, market, clock, changed } = await limitTrader({ slippageBps: 1 });
    const signal = sampleSignal({ validatedPrice: 2500, quantity: 4 });
    const result = await submit(trader, signal, sampleQuote({ bestBid: 2500, bestAsk: 2500.05 }));
    expect(result.kind).toBe("placed");
    if (result.kind !== "placed") return;
    expect(result.payload.price).toBe(2500);
    expect(result.payload.order_id).toBe(`paper_${refOf(trader, signal).clientOrderId}`);

    const resting = await trader.queryOrder(refOf(trader, signal));
    expect(resting.kind === "found" && resting.report).toMatchObject({
      status: "accepted",
      filledQuantity: 0,
      averagePrice: null,
      limitPrice: 2500,
      updatedAt: "2026-11-25T04:00:00.000Z",
    });

    clock.advance(1_500);
    market.publish(sampleQuote({ instrumentToken: 1, bestAsk: 10 })); // another instrument
    market.publish(sampleQuote({ bestBid: 2499.95, bestAsk: 2500.05 })); // not reached
    await settled();
    expect(changed.count).toBe(0);

    clock.advance(500);
    market.publish(sampleQuote({ bestBid: 2499.8, bestAsk: 2499.85 }));
    await settled();
    expect(changed.count).toBe(1);
    const filled = await trader.queryOrder(refOf(trader, signal));
    if (filled.kind !== "found") throw new Error(`expected found, got ${filled.kind}`);
    expect(OrderStatusReportSchema.parse(filled.report)).toEqual(filled.report);
    // 2499.85 × 1.0001 = 2500.10 → capped at the limit.
    expect(filled.report).toMatchObject({
      status: "filled",
      quantity: 4,
      filledQuantity: 4,
      averagePrice: 2500,
      fees: 10, // 0.1 % of 4 × 2500
      updatedAt: "2026-11-25T04:00:02.000Z",
    });

    // Filled once: a later quote changes nothing.
    market.publish(sampleQuote({ bestAsk: 2000 }));
    await settled();
    expect(changed.count).toBe(1);
  });

  it("fills a resting SELL on the last price of a quote without depth", async () => {
    const { trader, market } = await limitTrader();
    const signal = sampleSignal({ signalType: "SELL", validatedPrice: 2510 });
    expect((await submit(trader, signal, sampleQuote({ lastPrice: 2509.95 }))).kind).toBe("placed");
    market.publish(sampleQuote({ lastPrice: 2510.2 }));
    await settled();
    const filled = await trader.queryOrder(refOf(trader, signal));
    expect(filled.kind === "found" && filled.report.averagePrice).toBe(2510.2);
  });

  it("rests a LIMIT order given no last price, and fills it on the first quote that reaches it", async () => {
    const { trader, market } = await limitTrader();
    const signal = sampleSignal({ validatedPrice: 2500 });
    expect((await submit(trader, signal, null)).kind).toBe("placed");
    market.publish(sampleQuote({ lastPrice: 2499 }));
    await settled();
    const filled = await trader.queryOrder(refOf(trader, signal));
    expect(filled.kind === "found" && filled.report.status).toBe("filled");
  });

  it("fails a LIMIT signal with no price with INVALID_SIGNAL", async () => {
    const { trader } = await limitTrader();
    const signal = sampleSignal({ price: null, validatedPrice: null });
    const result = await submit(trader, signal, sampleQuote());
    expect(result.kind === "failed" && result.payload.error_code).toBe("INVALID_SIGNAL");
    expect(await trader.queryOrder(refOf(trader, signal))).toEqual({ kind: "absent" });
  });

  it("cancels a resting order: requested, then reported cancelled, and never filled", async () => {
    const { trader, market, clock, changed } = await limitTrader();
    const signal = sampleSignal({ validatedPrice: 2400 });
    expect((await submit(trader, signal, sampleQuote())).kind).toBe("placed");
    clock.advance(60_000);
    expect(await trader.cancelOrder(refOf(trader, signal))).toEqual({ kind: "requested" });
    const cancelled = await trader.queryOrder(refOf(trader, signal));
    expect(cancelled.kind === "found" && cancelled.report).toMatchObject({
      status: "cancelled",
      filledQuantity: 0,
      updatedAt: "2026-11-25T04:01:00.000Z",
    });
    market.publish(sampleQuote({ bestAsk: 2300 }));
    await settled();
    expect(changed.count).toBe(0);
    expect((await trader.cancelOrder(refOf(trader, signal))).kind).toBe("too_late");
  });

  it("answers too_late to a cancel of an order that filled, and failed for one it never had", async () => {
    const { trader } = await limitTrader();
    const signal = sampleSignal({ validatedPrice: 2600 });
    expect((await submit(trader, signal, sampleQuote())).kind).toBe("filled");
    expect(await trader.cancelOrder(refOf(trader, signal))).toEqual({
      kind: "too_late",
      reason: "already filled",
    });
    const stranger = await trader.cancelOrder(refOf(trader, sampleSignal({ id: "never-sent" })));
    expect(stranger).toMatchObject({ kind: "failed", retryable: false });
  });

  it("reports many orders in one call, resting and filled, leaving out unknown ones", async () => {
    const { trader, market } = await limitTrader();
    const low = sampleSignal({ id: "low", validatedPrice: 2400 });
    const high = sampleSignal({ id: "high", validatedPrice: 2450 });
    const other = sampleSignal({ id: "other", instrumentToken: 42, validatedPrice: 100 });
    for (const signal of [low, high, other]) {
      expect((await submit(trader, signal, null)).kind).toBe("placed");
    }
    market.publish(sampleQuote({ bestBid: 2439.9, bestAsk: 2440 }));
    await settled();
    const batch = await trader.orderStatusReports([
      refOf(trader, low),
      refOf(trader, high),
      refOf(trader, other),
      refOf(trader, sampleSignal({ id: "never-sent" })),
    ]);
    if (batch.kind !== "ok") throw new Error(batch.reason);
    const status = Object.fromEntries(batch.reports.map((r) => [r.clientOrderId, r.status]));
    expect(status).toEqual({
      [refOf(trader, low).clientOrderId]: "accepted",
      [refOf(trader, high).clientOrderId]: "filled",
      [refOf(trader, other).clientOrderId]: "accepted",
    });
  });

  it("stops meeting quotes after shutdown", async () => {
    const { trader, market } = await limitTrader();
    expect(market.subscribers).toBe(1);
    await trader.shutdown();
    expect(market.subscribers).toBe(0);
  });
});
