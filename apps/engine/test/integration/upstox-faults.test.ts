import { clientOrderId } from "@engine/core";
import { seededRandom } from "@engine/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "./support/kafka.js";
import { validatedSignal } from "./support/messages.js";
import { sendSignals } from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";
import {
  outcomeOn,
  startUpstoxScenario,
  type UpstoxScenario,
  waitForEnds,
} from "./support/upstox-harness.js";

const TOKENS = [738561, 408065, 2953217, 341249, 779521];
const SIGNALS = 200;

describe("upstox: 10 % of placements time out after Upstox accepted them", () => {
  const namespace = uniqueName("upfaults");
  const signalTopic = `${namespace}.signals.validated`;
  const teardown = new Teardown();
  let s: UpstoxScenario;

  beforeAll(async () => {
    s = await startUpstoxScenario(teardown, {
      namespace,
      upstox: { random: seededRandom(12) },
      // A short client deadline, so an unanswered placement becomes `unknown` quickly.
      // The backlog is traded, not refused as stale: this is about duplicates.
      variables: { UPSTOX_TIMEOUT_MS: "700", SIGNAL_MAX_AGE_MS: "600000" },
      strategies: [{ id: "up_faults", targets: ["upstox"] }],
      tokens: TOKENS,
    });
    s.upstox.setFaults({ timeoutAfterAccept: { probability: 0.1, route: "place" } });
  });

  afterAll(() => teardown.run());

  it("ends every signal with exactly one order at Upstox and one terminal event, never above Upstox's rate limits", async () => {
    const signals = Array.from({ length: SIGNALS }, (_, n) =>
      validatedSignal({
        strategyId: "up_faults",
        instrumentToken: TOKENS[n % TOKENS.length] as number,
        signalType: n % 2 === 0 ? "BUY" : "SELL",
        quantity: 1 + (n % 5),
      }),
    );
    await sendSignals(s.bench.producer, signalTopic, signals);
    await waitForEnds(
      s.bench,
      signals.map((signal) => signal.id),
      ["upstox"],
      180_000,
    );

    const timedOut = s.upstox.stats().faultsFired.timeoutAfterAccept ?? 0;
    expect(timedOut).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const signal of signals) {
      const tag = clientOrderId(signal.id, "upstox");
      const orders = s.upstox.orders().filter((order) => order.tag === tag);
      const outcome = outcomeOn(s.bench, signal.id, "upstox");
      if (orders.length !== 1) problems.push(`${signal.id}: ${orders.length} orders at Upstox`);
      if (outcome.filled.length + outcome.failed.length !== 1) {
        problems.push(
          `${signal.id}: ${outcome.filled.length} filled, ${outcome.failed.length} failed`,
        );
      }
      if (outcome.filled.length !== 1) problems.push(`${signal.id}: not filled`);
    }
    expect(problems).toEqual([]);
    const stats = s.upstox.stats();
    expect(stats.peakOrderRequestsPerSecond).toBeLessThanOrEqual(10);
    expect(stats.peakReadRequestsPerSecond).toBeLessThanOrEqual(50);
    expect(s.upstox.requests().filter((r) => r.outcome === 429)).toEqual([]);
  });
});
