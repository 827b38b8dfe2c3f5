import { describe, expect } from "vitest";
import { controlEnv, postControl } from "./test-support/controls.js";
import { FILE_SCOPE, zerodhaProcessTest } from "./test-support/fixtures.js";
import { uniqueName } from "./test-support/kafka.js";
import { idsOf, validatedSignal } from "./test-support/messages.js";
import { sleep } from "./test-support/probes.js";
import { sendSignals, sendTicks } from "./test-support/signal-stream.js";
import { NSE_EQUITIES, putZerodhaStrategy } from "./test-support/zerodha-harness.js";

const ADMIN_TOKEN = "zdbudget-admin-token-0123456789";
/** Kite's limit for the account, which the emulator enforces and each instance is told. */
const ORDERS_PER_SECOND = 10;
/** 300 signals on distinct keys: 30 strategies × 10 instruments. */
const STRATEGIES = 30;
const TOKENS = 10;
const strategyPrefix = uniqueName("zdbudget_");
const strategyIds = Array.from({ length: STRATEGIES }, (_, i) => `${strategyPrefix}_s${i}`);
const tokens = NSE_EQUITIES.slice(0, TOKENS).map((row) => row.token);

/** `running`: two engine processes in the file's group, ready, the strategies written. */
const it = zerodhaProcessTest
  .extend("options", FILE_SCOPE, {
    label: "zdbudget",
    kite: { fillDelayMs: 50, ordersPerSecond: ORDERS_PER_SECOND },
    env: {
      ZERODHA_ORDERS_PER_SECOND: String(ORDERS_PER_SECOND),
      // The burst takes about 50 s at the account's pace: nothing is refused for waiting.
      SIGNAL_MAX_AGE_MS: "600000",
      ORDER_BUDGET_MAX_WAIT_MS: "120000",
      // ORDER_BUDGET_MARGIN_MS is left at its default: a request counts until a second after
      // its answer, so however late it reaches the emulator on this busy machine (two cores
      // for the emulator, both engines, Kafka and PostgreSQL) the margin need not cover it.
      ...controlEnv("zdbudget", ADMIN_TOKEN),
      ZERODHA_MAX_QUEUE_MS: "120000",
      EXECUTION_TIMEOUT_MS: "150000",
    },
  })
  .extend("running", FILE_SCOPE, async ({ bench, spawnEngine }) => {
    const running = [await spawnEngine("zerodha-budget-0"), await spawnEngine("zerodha-budget-1")];
    for (const engine of running) await engine.waitReady(90_000);
    for (const id of strategyIds) await putZerodhaStrategy(bench.sql, id);
    await sendTicks(bench.producer, tokens);
    return running;
  });

/**
 * Issue 13: two instances, each allowed Kite's 10 orders a second, would send 20 together; the
 * order budget they share through PostgreSQL keeps the account at 10. The instances are
 * processes of their own, as deployed: in one process their event loops would be one.
 */
describe("zerodha: one order budget for two instances", () => {
  // The file's setup (two engines ready, up to 90 s each) runs inside this test: its budget and
  // the burst's.
  it("sends a burst of 300 live signals from both instances, one of them stalling now and then, at no more than 10 order requests in any second at the default margin, refusing none", {
    timeout: 360_000,
  }, async ({ bench, emulator, running, site: { signalTopic } }) => {
    const signals = strategyIds.flatMap((strategyId) =>
      tokens.map((token) => validatedSignal({ strategyId, instrumentToken: token, quantity: 1 })),
    );
    const ids = signals.map((signal) => signal.id);
    await sendSignals(bench.producer, signalTopic, signals);
    // A process that stalls (a GC pause, a starved CPU, a node being drained in a rolling deploy)
    // right after taking slots sends their requests late, by more than any margin: they must
    // still count when they arrive.
    const [stalling] = running;
    await sleep(3_000);
    for (let i = 0; i < 8 && stalling; i++) {
      stalling.child.kill("SIGSTOP");
      await sleep(1_200);
      stalling.child.kill("SIGCONT");
      await sleep(1_500 + 250 * i);
    }
    await bench.ledger.waitForEnds(ids, 180_000);
    await sleep(500);

    const stats = emulator.stats();
    process.stdout.write(
      `zerodha-shared-budget: ${stats.placementRequests} placements, peak ${stats.maxPlacementsInAnySecond} in a second, ${stats.rateLimited} refused by Kite\n`,
    );
    expect(stats.maxPlacementsInAnySecond).toBeLessThanOrEqual(ORDERS_PER_SECOND);
    expect(stats.maxOrderRequestsInAnySecond).toBeLessThanOrEqual(ORDERS_PER_SECOND);
    expect(stats.rateLimited).toBe(0);
    expect(stats.placementRequests).toBe(signals.length);
    expect(bench.ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
    // Both instances sent orders: the budget was shared, not one instance doing all the work.
    for (const engine of running) {
      const metrics = (await engine.http("/metrics")).body;
      const placed = /engine_results_total\{namespace="zerodha",outcome="placed"[^}]*\} (\d+)/.exec(
        metrics,
      );
      expect(Number(placed?.[1] ?? 0), engine.name).toBeGreaterThan(0);
    }
  });

  it("cancels 40 open orders on a halt with cancel_open from both instances while another strategy places orders, at no more than 10 order requests in any second", async ({
    bench,
    emulator,
    running,
    site: { signalTopic },
  }) => {
    const [halted = "", trading = ""] = strategyIds;
    emulator.setFills({ hold: true });
    const open = tokens.flatMap((token) =>
      [0, 1, 2, 3].map(() =>
        validatedSignal({ strategyId: halted, instrumentToken: token, quantity: 1 }),
      ),
    );
    const more = tokens.flatMap((token) =>
      [0, 1, 2, 3].map(() =>
        validatedSignal({ strategyId: trading, instrumentToken: token, quantity: 1 }),
      ),
    );
    const ids = [...open, ...more].map((signal) => signal.id);
    bench.ledger.watch(ids);
    await sendSignals(bench.producer, signalTopic, open);
    await bench.recorder.waitFor(
      () => open.every((signal) => bench.ledger.of(signal.id).placed.length === 1),
      120_000,
      "the 40 orders held open at Kite",
    );
    emulator.setFills({ hold: false });
    const before = emulator.stats();

    const [first] = running;
    if (!first) throw new Error("no engine");
    const answer = await postControl(
      first.httpPort,
      {
        scope: "strategy",
        strategy_id: halted,
        state: "HALTED",
        reason: "mass cancel drill",
        cancel_open: true,
      },
      ADMIN_TOKEN,
    );
    expect(answer.status).toBe(202);
    await sendSignals(bench.producer, signalTopic, more);
    await bench.ledger.waitForEnds(ids, 120_000);
    await sleep(500);

    const stats = emulator.stats();
    process.stdout.write(
      `zerodha-shared-budget mass cancel: ${stats.cancelRequests - before.cancelRequests} cancels, ${stats.placementRequests - before.placementRequests} placements, peak ${stats.maxOrderRequestsInAnySecond} order requests in a second, ${stats.rateLimited} refused by Kite\n`,
    );
    expect(stats.cancelRequests - before.cancelRequests).toBeGreaterThanOrEqual(open.length);
    expect(stats.maxOrderRequestsInAnySecond).toBeLessThanOrEqual(ORDERS_PER_SECOND);
    expect(stats.rateLimited).toBe(0);
    for (const signal of open) {
      expect(bench.ledger.of(signal.id).failed[0]?.json.data).toMatchObject({
        error_code: "TRADING_HALTED",
      });
    }
    expect(bench.ledger.problems(idsOf(open), emulator, { end: "failed" })).toEqual([]);
    expect(bench.ledger.problems(idsOf(more), emulator, { end: "filled" })).toEqual([]);
  });
});
