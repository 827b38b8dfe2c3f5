import { clientOrderId } from "@engine/core";
import { seededRandom } from "@engine/core/testing";
import { describe, expect } from "vitest";
import { FILE_SCOPE, upstoxTest } from "./test-support/fixtures.js";
import { validatedSignal } from "./test-support/messages.js";
import { sendSignals } from "./test-support/signal-stream.js";
import { outcomeOn, waitForEnds } from "./test-support/upstox-harness.js";

const TOKENS = [738561, 408065, 2953217, 341249, 779521];
const SIGNALS = 200;

const it = upstoxTest.extend("options", FILE_SCOPE, {
  label: "upfaults",
  upstox: { random: seededRandom(12) },
  // A short client deadline, so an unanswered placement becomes `unknown` quickly.
  // The backlog is traded, not refused as stale: this is about duplicates.
  env: { UPSTOX_TIMEOUT_MS: "700", SIGNAL_MAX_AGE_MS: "600000" },
  strategies: [{ id: "up_faults", targets: ["upstox"] }],
  tokens: TOKENS,
});

describe("upstox: 10 % of placements time out after Upstox accepted them", () => {
  it.beforeAll(({ upstox }) => {
    upstox.setFaults({ timeoutAfterAccept: { probability: 0.1, route: "place" } });
  });

  it("ends every signal with exactly one order at Upstox and one terminal event, never above Upstox's rate limits", async ({
    bench,
    upstox,
    site: { signalTopic },
  }) => {
    const signals = Array.from({ length: SIGNALS }, (_, n) =>
      validatedSignal({
        strategyId: "up_faults",
        instrumentToken: TOKENS[n % TOKENS.length] as number,
        signalType: n % 2 === 0 ? "BUY" : "SELL",
        quantity: 1 + (n % 5),
      }),
    );
    await sendSignals(bench.producer, signalTopic, signals);
    await waitForEnds(
      bench,
      signals.map((signal) => signal.id),
      ["upstox"],
      180_000,
    );

    const timedOut = upstox.stats().faultsFired.timeoutAfterAccept ?? 0;
    expect(timedOut).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const signal of signals) {
      const tag = clientOrderId(signal.id, "upstox");
      const orders = upstox.orders().filter((order) => order.tag === tag);
      const outcome = outcomeOn(bench, signal.id, "upstox");
      if (orders.length !== 1) problems.push(`${signal.id}: ${orders.length} orders at Upstox`);
      if (outcome.filled.length + outcome.failed.length !== 1) {
        problems.push(
          `${signal.id}: ${outcome.filled.length} filled, ${outcome.failed.length} failed`,
        );
      }
      if (outcome.filled.length !== 1) problems.push(`${signal.id}: not filled`);
    }
    expect(problems).toEqual([]);
    const stats = upstox.stats();
    expect(stats.peakOrderRequestsPerSecond).toBeLessThanOrEqual(10);
    expect(stats.peakReadRequestsPerSecond).toBeLessThanOrEqual(50);
    expect(upstox.requests().filter((r) => r.outcome === 429)).toEqual([]);
  });
});
