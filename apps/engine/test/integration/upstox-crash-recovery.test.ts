import { clientOrderId } from "@engine/core";
import { describe, expect } from "vitest";
import { FILE_SCOPE, KILL_TEST_ENV, upstoxProcessTest } from "./test-support/fixtures.js";
import { eventually, sleep } from "./test-support/probes.js";
import { produceStream, sendTicks, signalSeries } from "./test-support/signal-stream.js";
import { outcomeOn, waitForEnds } from "./test-support/upstox-harness.js";

const SIGNALS = 40;
const TOKENS = [738561, 408065, 2953217, 341249, 779521];

const it = upstoxProcessTest.extend("options", FILE_SCOPE, {
  label: "upcrash",
  strategies: [{ id: "up_crash", targets: ["upstox"] }],
  // Orders take 3 s to fill: a kill finds orders open.
  upstox: { fillDelayMs: 3_000 },
  env: KILL_TEST_ENV,
});

describe("upstox: the engine process killed with SIGKILL while orders are open at Upstox", () => {
  it("gives every signal exactly one order at Upstox and one end on upstox after a restart", async ({
    bench,
    upstox,
    site: { signalTopic },
    spawnEngine,
    spawnReady,
  }) => {
    // Every answer takes 100 ms: a kill finds orders at every stage.
    upstox.setFaults({ latencyMs: 100 });
    const { signals } = signalSeries("up_crash", TOKENS, SIGNALS);
    const ids = signals.map((signal) => signal.id);
    const ended = () =>
      ids.filter((id) => {
        const outcome = outcomeOn(bench, id, "upstox");
        return outcome.filled.length + outcome.failed.length > 0;
      }).length;
    const openAtUpstox = () => upstox.orders().filter((order) => order.status === "open").length;

    const first = await spawnReady("upstox-engine-1", TOKENS);
    const streaming = produceStream(bench.producer, signalTopic, signals, {
      durationMs: 3_000,
      chunk: 4,
    });
    await eventually(
      async () => ({ ended: ended(), open: openAtUpstox() }),
      ({ ended, open }) => ended >= 2 && open >= 2,
      "signals ended and orders still open at Upstox",
      60_000,
    );
    const killed = await first.stop("SIGKILL");
    expect(killed.signal).toBe("SIGKILL");
    await sleep(1_000);
    const endedAtKill = ended();
    expect(endedAtKill).toBeLessThan(SIGNALS);
    // Orders Upstox holds whose end the killed engine never published.
    const placedNotEnded = ids.filter((id) => {
      const outcome = outcomeOn(bench, id, "upstox");
      return outcome.placed.length > 0 && outcome.filled.length + outcome.failed.length === 0;
    }).length;
    expect(placedNotEnded, "the kill caught no open order").toBeGreaterThan(0);

    const second = await spawnEngine("upstox-engine-2");
    await streaming;
    await second.waitReady(90_000);
    await sendTicks(bench.producer, TOKENS);
    await waitForEnds(bench, ids, ["upstox"], 120_000);
    await sleep(1_500);

    const problems: string[] = [];
    for (const id of ids) {
      const orders = upstox.orders().filter((order) => order.tag === clientOrderId(id, "upstox"));
      const outcome = outcomeOn(bench, id, "upstox");
      if (orders.length !== 1) problems.push(`${id}: ${orders.length} orders`);
      if (outcome.placed.length !== 1)
        problems.push(`${id}: ${outcome.placed.length} order_placed`);
      if (outcome.filled.length !== 1 || outcome.failed.length !== 0) {
        problems.push(`${id}: ${outcome.filled.length} filled, ${outcome.failed.length} failed`);
      }
    }
    expect(problems).toEqual([]);
    expect(upstox.orders()).toHaveLength(SIGNALS);
    process.stdout.write(
      `upstox-crash-recovery: killed with ${endedAtKill}/${SIGNALS} ended and ${placedNotEnded} placed without an end\n`,
    );
    const journal = await bench.sql.query<{ status: string; count: string }>(
      "select status, count(*)::text as count from engine_execution_journal where namespace = 'upstox' group by 1",
    );
    expect(journal).toEqual([{ status: "filled", count: String(SIGNALS) }]);
    expect(upstox.stats().peakOrderRequestsPerSecond).toBeLessThanOrEqual(10);
  });
});
