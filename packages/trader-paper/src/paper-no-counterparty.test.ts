import { FakeClock, sampleQuote, sampleSignal } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import type { PaperOrderType } from "./paper-order.js";
import { PaperTrader } from "./paper-trader.js";
import { FakeMarketData } from "./test-support/fake-market-data.js";
import { refOf, submit } from "./test-support/submit.js";

const settled = () => new Promise((resolve) => setImmediate(resolve));

/** A stock locked at its upper circuit: buyers at 2750.50, no sellers at all. */
const upperCircuit = sampleQuote({
  lastPrice: 2750.5,
  bestBid: 2750.5,
  bestAsk: null,
  hasDepth: true,
});
/** Locked at its lower circuit: sellers at 2250.50, no buyers. */
const lowerCircuit = sampleQuote({
  lastPrice: 2250.5,
  bestBid: null,
  bestAsk: 2250.5,
  hasDepth: true,
});

async function trader(orderType: PaperOrderType) {
  const market = new FakeMarketData();
  const clock = new FakeClock("2026-11-25T04:00:00Z");
  const changed = { count: 0 };
  const paper = new PaperTrader({
    orderType,
    clock,
    slippageBps: 2,
    marketData: market,
    ordersChanged: () => {
      changed.count += 1;
    },
  });
  await paper.initialize();
  return { paper, market, clock, changed };
}

describe("no sellers, no fill (issue 10, item 7)", () => {
  it("rests a market BUY when the book shows no sellers, and fills it when one shows up", async () => {
    const { paper, market, clock, changed } = await trader("MARKET");
    const signal = sampleSignal({ signalType: "BUY", quantity: 3 });
    const result = await submit(paper, signal, upperCircuit);
    expect(result.kind).toBe("placed");
    expect(result.kind === "placed" && result.payload.price).toBeNull();

    // Still locked: the last price alone fills nothing.
    market.publish(upperCircuit);
    await settled();
    expect(changed.count).toBe(0);

    clock.advance(30_000);
    market.publish(sampleQuote({ lastPrice: 2750.5, bestBid: 2750, bestAsk: 2750.5 }));
    await settled();
    expect(changed.count).toBe(1);
    const filled = await paper.queryOrder(refOf(paper, signal));
    // 2750.50 × 1.0002 = 2751.0501, up to the grid: a market order's slippage is not capped.
    expect(filled.kind === "found" && filled.report).toMatchObject({
      status: "filled",
      filledQuantity: 3,
      averagePrice: 2751.1,
      limitPrice: null,
      updatedAt: "2026-11-25T04:00:30.000Z",
    });
  });

  it("rests a market SELL when the book shows no buyers", async () => {
    const { paper, market } = await trader("MARKET");
    const signal = sampleSignal({ signalType: "SELL" });
    expect((await submit(paper, signal, lowerCircuit)).kind).toBe("placed");
    market.publish(lowerCircuit);
    await settled();
    const resting = await paper.queryOrder(refOf(paper, signal));
    expect(resting.kind === "found" && resting.report.status).toBe("accepted");
  });

  it("still fills a market SELL into the buyers of an upper circuit at once", async () => {
    const { paper } = await trader("MARKET");
    const result = await submit(paper, sampleSignal({ signalType: "SELL" }), upperCircuit);
    // 2750.50 × 0.9998 = 2749.9499, down to the grid.
    expect(result.kind === "filled" && result.payload.fill_price).toBe(2749.9);
  });

  it("rests a LIMIT BUY above the last price when there are no sellers", async () => {
    const { paper } = await trader("LIMIT");
    const signal = sampleSignal({ signalType: "BUY", validatedPrice: 2800 });
    expect((await submit(paper, signal, upperCircuit)).kind).toBe("placed");
  });

  it("lets the engine cancel a market order that found no sellers (its time in force)", async () => {
    const { paper, market, changed } = await trader("MARKET");
    const signal = sampleSignal({ signalType: "BUY" });
    expect((await submit(paper, signal, upperCircuit)).kind).toBe("placed");
    expect(await paper.cancelOrder(refOf(paper, signal))).toEqual({ kind: "requested" });
    market.publish(sampleQuote({ bestBid: 2750, bestAsk: 2750.5 }));
    await settled();
    expect(changed.count).toBe(0);
    const ended = await paper.queryOrder(refOf(paper, signal));
    expect(ended.kind === "found" && ended.report.status).toBe("cancelled");
  });
});
