import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaTest } from "./test-support/fixtures.js";
import { validatedSignal } from "./test-support/messages.js";
import { sleep } from "./test-support/probes.js";
import { sendSignals } from "./test-support/signal-stream.js";
import { NSE_EQUITIES } from "./test-support/zerodha-harness.js";

/** Kite's own limit, which the emulator enforces too. */
const ORDERS_PER_SECOND = 10;
/** 120 signals at once: twelve seconds of Kite's per-second budget, within its per-minute one. */
const STRATEGIES = 12;
const TOKENS = 10;
const strategyIds = Array.from({ length: STRATEGIES }, (_, i) => `zd_rate_${i}`);
const tokens = NSE_EQUITIES.slice(0, TOKENS).map((row) => row.token);

// The trader's defaults: issue 10 item 6 saw 70 of these 120 refused with them.
const it = zerodhaTest.extend("options", FILE_SCOPE, {
  label: "zdrate",
  kite: { fillDelayMs: 50, ordersPerSecond: ORDERS_PER_SECOND },
  strategyIds,
  tokens,
});

describe("zerodha: a burst of signals against Kite's order rate limit", () => {
  it("queues a burst of 120 signals on distinct keys at Kite's pace, never more than 10 placements in a second, refusing none, and fills them all", async ({
    emulator,
    bench,
    site: { signalTopic },
  }) => {
    // Distinct keys: nothing in the engine orders them one after another, only the rate limiter.
    const signals = strategyIds.flatMap((strategyId) =>
      tokens.map((token, i) =>
        validatedSignal({
          strategyId,
          instrumentToken: token,
          signalType: i % 2 === 0 ? "BUY" : "SELL",
          quantity: 1 + i,
        }),
      ),
    );
    const ids = signals.map((signal) => signal.id);
    await sendSignals(bench.producer, signalTopic, signals);
    await bench.ledger.waitForEnds(ids, 120_000);
    await sleep(500);

    const stats = emulator.stats();
    process.stdout.write(
      `zerodha-rate-limit: ${stats.placementRequests} placements, peak ${stats.maxPlacementsInAnySecond} in a second, ${stats.rateLimited} refused\n`,
    );
    expect(stats.maxPlacementsInAnySecond).toBeLessThanOrEqual(ORDERS_PER_SECOND);
    // Kite never had to refuse one, and none was sent twice.
    expect(stats.rateLimited).toBe(0);
    expect(stats.placementRequests).toBe(signals.length);
    expect(bench.ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
  });
});
