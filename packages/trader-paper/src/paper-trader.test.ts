import { clientOrderId, OrderFilledSchema } from "@engine/core";
import { FakeClock, sampleQuote, sampleSignal } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import { ZerodhaEquityFeeModel } from "./fees/zerodha-equity-fee-model.js";
import { PaperTrader, type PaperTraderOptions } from "./paper-trader.js";
import { submit } from "./test-support/submit.js";

async function readyTrader(options: PaperTraderOptions = {}): Promise<PaperTrader> {
  const trader = new PaperTrader({ clock: new FakeClock("2026-11-25T04:00:00Z"), ...options });
  await trader.initialize();
  return trader;
}

describe("PaperTrader", () => {
  it("fills a BUY at the last price plus slippage, rounded up to the tick", async () => {
    const trader = await readyTrader({ slippageBps: 10 });
    const result = await submit(trader, sampleSignal({ signalType: "BUY" }), sampleQuote());
    expect(result.kind).toBe("filled");
    if (result.kind !== "filled") return;
    // 2500.75 × 1.001 = 2503.25075 → next tick up
    expect(result.payload.fill_price).toBe(2503.3);
    expect(result.payload.side).toBe("BUY");
    expect(OrderFilledSchema.parse(result.payload)).toEqual(result.payload);
  });

  it("fills a SELL at the last price minus slippage, rounded down to the tick", async () => {
    const trader = await readyTrader({ slippageBps: 10 });
    const result = await submit(trader, sampleSignal({ signalType: "SELL" }), sampleQuote());
    expect(result.kind === "filled" && result.payload.fill_price).toBe(2498.2);
  });

  it.each([
    ["BUY", 2500.8],
    ["SELL", 2500.7],
  ] as const)("fills a %s at the touch when the tick carried depth", async (side, expected) => {
    const trader = await readyTrader();
    const quote = sampleQuote({ bestBid: 2500.7, bestAsk: 2500.8 });
    const result = await submit(trader, sampleSignal({ signalType: side }), quote);
    expect(result.kind === "filled" && result.payload.fill_price).toBe(expected);
  });

  it("trades the validated quantity, not the quantity the strategy asked for", async () => {
    const trader = await readyTrader();
    const signal = sampleSignal({ quantity: 50, validatedQuantity: 20 });
    const result = await submit(trader, signal, sampleQuote());
    expect(result.kind === "filled" && result.payload.quantity).toBe(20);
  });

  it("charges the default flat 0.1 % fee", async () => {
    const trader = await readyTrader();
    const result = await submit(trader, sampleSignal(), sampleQuote({ lastPrice: 2502 }));
    expect(result.kind === "filled" && result.payload.fees).toBe(25.02);
  });

  it("charges through the fee model it was given", async () => {
    const trader = await readyTrader({ feeModel: new ZerodhaEquityFeeModel() });
    const signal = sampleSignal({ quantity: 100 });
    const result = await submit(trader, signal, sampleQuote({ lastPrice: 2500 }));
    expect(result.kind === "filled" && result.payload.fees).toBe(40.16);
  });

  it("fails with NO_MARKET_PRICE when no price was seen, inventing none", async () => {
    const trader = await readyTrader();
    const result = await submit(trader, sampleSignal(), null);
    expect(result.kind).toBe("failed");
    expect(result.kind === "failed" && result.payload.error_code).toBe("NO_MARKET_PRICE");
    expect(result.kind === "failed" && result.payload.order_id).toBe("N/A");
  });

  it("fails with NO_MARKET_PRICE when the quote is for another instrument", async () => {
    const trader = await readyTrader();
    const result = await submit(trader, sampleSignal(), sampleQuote({ instrumentToken: 1 }));
    expect(result.kind === "failed" && result.payload.error_code).toBe("NO_MARKET_PRICE");
  });

  it("fails a zero validated quantity with INVALID_QUANTITY", async () => {
    const trader = await readyTrader();
    const result = await submit(trader, sampleSignal({ validatedQuantity: 0 }), sampleQuote());
    expect(result.kind === "failed" && result.payload.error_code).toBe("INVALID_QUANTITY");
  });

  it("uses the engine's client order id as its order id, the same for the same signal", async () => {
    const first = await submit(await readyTrader(), sampleSignal({ id: "sig-1" }), sampleQuote());
    const again = await submit(await readyTrader(), sampleSignal({ id: "sig-1" }), sampleQuote());
    const other = await submit(await readyTrader(), sampleSignal({ id: "sig-2" }), sampleQuote());
    expect(first.kind).toBe("filled");
    if (first.kind === "unknown" || again.kind === "unknown" || other.kind === "unknown") return;
    expect(first.payload.order_id).toBe(`paper_${clientOrderId("sig-1", "paper")}`);
    expect(again.payload.order_id).toBe(first.payload.order_id);
    expect(other.payload.order_id).not.toBe(first.payload.order_id);
  });

  it("draws a seeded random spread that is adverse, bounded and stable per signal", async () => {
    const options = { randomSpreadBps: 20, randomSeed: "s1" };
    const prices = new Set<number>();
    for (let i = 0; i < 50; i += 1) {
      const signal = sampleSignal({ id: `sig-${i}` });
      const a = await submit(await readyTrader(options), signal, sampleQuote());
      const b = await submit(await readyTrader(options), signal, sampleQuote());
      if (a.kind !== "filled" || b.kind !== "filled") throw new Error("expected fills");
      expect(b.payload.fill_price).toBe(a.payload.fill_price);
      expect(a.payload.fill_price).toBeGreaterThanOrEqual(2500.75);
      expect(a.payload.fill_price).toBeLessThanOrEqual(2500.75 * 1.002 + 0.05);
      prices.add(a.payload.fill_price);
    }
    expect(prices.size).toBeGreaterThan(5);
  });

  it("fills nothing once the engine aborted the submission, and keeps no order", async () => {
    const trader = await readyTrader();
    const signal = sampleSignal({ id: "sig-aborted" });
    const abort = new AbortController();
    abort.abort();
    const id = clientOrderId(signal.id, "paper");
    const result = await trader.executeOrder(signal, sampleQuote(), {
      clientOrderId: id,
      abort: abort.signal,
    });
    expect(result.kind === "failed" && result.payload.error_code).toBe("TRADER_UNAVAILABLE");
    expect(await trader.queryOrder({ clientOrderId: id, orderId: null })).toEqual({
      kind: "absent",
    });
  });

  it("reports itself unavailable until initialised and after shutdown", async () => {
    const trader = new PaperTrader();
    expect(trader.health().status).toBe("unavailable");
    await trader.initialize();
    expect(trader.health()).toEqual({ status: "ready" });
    await trader.shutdown();
    expect(trader.health().status).toBe("unavailable");
  });

  it("answers a second submission of one client order id with the first order", async () => {
    const trader = await readyTrader();
    const signal = sampleSignal({ id: "sig-twice" });
    const first = await submit(trader, signal, sampleQuote({ lastPrice: 2500 }));
    const again = await submit(trader, signal, sampleQuote({ lastPrice: 2600 }));
    expect(again).toEqual(first);
  });

  it("reports a market fill as a filled order, with its price and fees", async () => {
    const trader = await readyTrader();
    const signal = sampleSignal({ id: "sig-report" });
    const result = await submit(trader, signal, sampleQuote({ lastPrice: 2502 }));
    if (result.kind !== "filled") throw new Error(`expected a fill, got ${result.kind}`);
    const id = clientOrderId(signal.id, "paper");
    expect(await trader.queryOrder({ clientOrderId: id, orderId: null })).toEqual({
      kind: "found",
      report: {
        clientOrderId: id,
        orderId: `paper_${id}`,
        status: "filled",
        quantity: 10,
        filledQuantity: 10,
        averagePrice: 2502,
        limitPrice: null,
        updatedAt: "2026-11-25T04:00:00.000Z",
        message: null,
        fees: 25.02,
      },
    });
  });
});
