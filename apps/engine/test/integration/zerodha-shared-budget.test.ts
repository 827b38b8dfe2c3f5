import type { KiteEmulator } from "@engine/kite-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EngineProcess, SpawnedEngines } from "./support/engine-process.js";
import { uniqueName } from "./support/kafka.js";
import { validatedSignal } from "./support/messages.js";
import { sleep } from "./support/probes.js";
import { sendSignals, sendTicks } from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";
import {
  NSE_EQUITIES,
  openZerodhaBench,
  prepareSignals,
  putZerodhaStrategy,
  spawnZerodhaEngine,
  startKiteEmulator,
  type ZerodhaBench,
  zerodhaDiagnostics,
} from "./support/zerodha-harness.js";

const ACCESS_TOKEN = "zdbudget_token";
/** Kite's limit for the account, which the emulator enforces and each instance is told. */
const ORDERS_PER_SECOND = 10;
/** 300 signals on distinct keys: 30 strategies × 10 instruments. */
const STRATEGIES = 30;
const TOKENS = 10;

/**
 * Issue 13: two instances, each allowed Kite's 10 orders a second, would send 20 together; the
 * order budget they share through PostgreSQL keeps the account at 10. The instances are
 * processes of their own, as deployed: in one process their event loops would be one.
 */
describe("zerodha: one order budget for two instances", () => {
  const namespace = uniqueName("zdbudget");
  const groupIdPrefix = uniqueName("it-zdbudget-");
  const strategyIds = Array.from({ length: STRATEGIES }, (_, i) => `${namespace}_s${i}`);
  const tokens = NSE_EQUITIES.slice(0, TOKENS).map((row) => row.token);
  const teardown = new Teardown();
  const engines = new SpawnedEngines(teardown, "zerodha-budget", () =>
    zerodhaDiagnostics(emulator, bench?.ledger, ids),
  );
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;
  let running: EngineProcess[] = [];
  let ids: string[] = [];

  function spawn(name: string): Promise<EngineProcess> {
    return spawnZerodhaEngine(engines, name, {
      bench,
      emulator,
      namespace,
      groupIdPrefix,
      extra: {
        KITE_ACCESS_TOKEN: ACCESS_TOKEN,
        ZERODHA_ORDERS_PER_SECOND: String(ORDERS_PER_SECOND),
        // The burst takes about 50 s at the account's pace: nothing is refused for waiting.
        SIGNAL_MAX_AGE_MS: "600000",
        ORDER_BUDGET_MAX_WAIT_MS: "120000",
        // This machine runs the broker's stand-in, both engines, Kafka and PostgreSQL on two
        // cores: a request can reach the emulator half a second after its slot.
        ORDER_BUDGET_MARGIN_MS: "600",
        ZERODHA_MAX_QUEUE_MS: "120000",
        EXECUTION_TIMEOUT_MS: "150000",
      },
    });
  }

  beforeAll(async () => {
    emulator = await startKiteEmulator(teardown, {
      accessToken: ACCESS_TOKEN,
      fillDelayMs: 50,
      ordersPerSecond: ORDERS_PER_SECOND,
    });
    bench = await openZerodhaBench(teardown);
    await prepareSignals(bench.admin, `${namespace}.signals.validated`, groupIdPrefix);
    running = [await spawn("zerodha-budget-0"), await spawn("zerodha-budget-1")];
    for (const engine of running) await engine.waitReady(90_000);
    for (const id of strategyIds) await putZerodhaStrategy(bench.sql, id);
    await sendTicks(bench.producer, tokens);
  });

  afterEach((context) => {
    engines.dumpOnFailure(context.task.result?.state);
  });

  afterAll(() => teardown.run());

  it("sends a burst of 300 live signals from both instances at no more than 10 placements in any second, refusing none", async () => {
    const signals = strategyIds.flatMap((strategyId) =>
      tokens.map((token) => validatedSignal({ strategyId, instrumentToken: token, quantity: 1 })),
    );
    ids = signals.map((signal) => signal.id);
    await sendSignals(bench.producer, `${namespace}.signals.validated`, signals);
    await bench.ledger.waitForEnds(ids, 180_000);
    await sleep(500);

    const stats = emulator.stats();
    process.stdout.write(
      `zerodha-shared-budget: ${stats.placementRequests} placements, peak ${stats.maxPlacementsInAnySecond} in a second, ${stats.rateLimited} refused by Kite\n`,
    );
    expect(stats.maxPlacementsInAnySecond).toBeLessThanOrEqual(ORDERS_PER_SECOND);
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
});
