import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaTest } from "./test-support/fixtures.js";
import { sleep } from "./test-support/probes.js";
import { produceStream, signalSeries } from "./test-support/signal-stream.js";
import { NSE_EQUITIES } from "./test-support/zerodha-harness.js";

const SIGNALS = 250;
// Above Kite's 10/s so the stream is not throttled to 25 s; the client stays below the emulator.
const CLIENT_ORDERS_PER_SECOND = 40;
const KITE_ORDERS_PER_SECOND = 50;
const strategyId = "zd_ambiguous";
const tokens = NSE_EQUITIES.map((row) => row.token);

const it = zerodhaTest.extend("options", FILE_SCOPE, {
  label: "zdambig",
  kite: { fillDelayMs: 50, ordersPerSecond: KITE_ORDERS_PER_SECOND, ordersPerMinute: 3_000 },
  env: {
    KITE_TIMEOUT_MS: "500",
    ZERODHA_ORDERS_PER_SECOND: String(CLIENT_ORDERS_PER_SECOND),
    ZERODHA_ORDERS_PER_MINUTE: "3000",
    ZERODHA_REQUESTS_PER_SECOND: "200",
  },
  strategyIds: [strategyId],
  tokens,
});

describe("zerodha: Kite accepts the order but the answer never comes", () => {
  it("places exactly one order per signal when 10% of placements time out after Kite accepted them, and every signal ends filled once", async ({
    emulator,
    bench,
    site: { signalTopic },
  }) => {
    const { signals } = signalSeries(strategyId, tokens, SIGNALS);
    const ids = signals.map((signal) => signal.id);
    emulator.setFaults({ timeoutAfterAccept: { probability: 0.1, mode: "hang" } });

    await produceStream(bench.producer, signalTopic, signals, { durationMs: 10_000, chunk: 10 });
    await bench.ledger.waitForEnds(ids, 120_000);
    emulator.clearFaults();
    // Anything still to come (a second order, a second end) would come within this.
    await sleep(1_000);

    const stats = emulator.stats();
    const timedOut = stats.faultsInjected.timeoutAfterAccept ?? 0;
    process.stdout.write(
      `zerodha-ambiguous-placement: ${timedOut} of ${stats.placementRequests} placements timed out after acceptance; ${stats.requestsByPath["GET /orders"] ?? 0} order-book lookups; peak ${stats.maxPlacementsInAnySecond} placements/s\n`,
    );
    // The fault really fired, and each one was reconciled by a look at the order book.
    expect(timedOut).toBeGreaterThan(0);
    expect(stats.requestsByPath["GET /orders"] ?? 0).toBeGreaterThanOrEqual(timedOut);
    // One order per signal at Kite, one order_placed naming it, one order_filled, one paper result.
    expect(bench.ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
    expect(stats.placements).toBe(SIGNALS);
    expect(stats.ordersByStatus).toEqual({ COMPLETE: SIGNALS });
  });
});
