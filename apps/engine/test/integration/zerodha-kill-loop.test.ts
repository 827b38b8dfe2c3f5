import type { KiteEmulator } from "@engine/kite-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EngineProcess, freePort, SpawnedEngines } from "./support/engine-process.js";
import { uniqueName } from "./support/kafka.js";
import { sleep } from "./support/probes.js";
import { produceStream, sendTicks, signalSeries } from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";
import {
  NSE_EQUITIES,
  openZerodhaBench,
  prepareSignals,
  putZerodhaStrategy,
  startKiteEmulator,
  type ZerodhaBench,
  zerodhaDiagnostics,
  zerodhaProcessEnv,
} from "./support/zerodha-harness.js";

const SIGNALS = 150;
const KILLS = 5;
const ACCESS_TOKEN = "zdkill_token";

/**
 * Issue 10, items 1 to 3: the engine SIGKILLed again and again while signals stream in and Kite
 * leaves a tenth of the placements unanswered. Every signal gets one order at Kite, one
 * `order_placed` and one end; no order Kite has is reported failed; none is skipped.
 */
describe("zerodha: the engine killed over and over with unanswered placements", () => {
  const namespace = uniqueName("zdkill");
  const groupIdPrefix = uniqueName("it-zdkill-");
  const signalTopic = `${namespace}.signals.validated`;
  const strategyId = "zd_kill";
  const tokens = NSE_EQUITIES.slice(0, 8).map((row) => row.token);
  const teardown = new Teardown();
  const engines = new SpawnedEngines(teardown, "zerodha-kill", () =>
    zerodhaDiagnostics(emulator, bench?.ledger, ids),
  );
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;
  let ids: string[] = [];

  async function startEngine(name: string): Promise<EngineProcess> {
    return engines.spawn(
      name,
      zerodhaProcessEnv({
        databaseUrl: bench.db.url,
        namespace,
        groupIdPrefix,
        httpPort: await freePort(),
        emulatorUrl: emulator.url,
        extra: {
          KITE_ACCESS_TOKEN: ACCESS_TOKEN,
          KITE_TIMEOUT_MS: "1500",
          ENGINE_LEASE_MS: "3000",
          // The backlog the kills leave is traded, not refused as stale: this is about duplicates.
          SIGNAL_MAX_AGE_MS: "600000",
        },
      }),
    );
  }

  beforeAll(async () => {
    emulator = await startKiteEmulator(teardown, { accessToken: ACCESS_TOKEN, fillDelayMs: 1_500 });
    emulator.setFaults({ timeoutAfterAccept: { probability: 0.1, mode: "hang" } });
    bench = await openZerodhaBench(teardown);
    await prepareSignals(bench.admin, signalTopic, groupIdPrefix);
  });

  afterEach((context) => {
    engines.dumpOnFailure(context.task.result?.state);
  });

  afterAll(() => teardown.run());

  it("gives every signal one order at Kite and one filled end after five SIGKILLs", async () => {
    const { signals } = signalSeries(strategyId, tokens, SIGNALS);
    ids = signals.map((signal) => signal.id);
    let engine = await startEngine("zerodha-kill-0");
    await engine.waitReady();
    await putZerodhaStrategy(bench.sql, strategyId);
    await sendTicks(bench.producer, tokens);

    const streaming = produceStream(bench.producer, signalTopic, signals, {
      durationMs: 20_000,
      chunk: 5,
    });
    for (let kill = 1; kill <= KILLS; kill++) {
      await sleep(3_000 + Math.floor(Math.random() * 2_000));
      const killed = await engine.stop("SIGKILL");
      expect(killed.signal).toBe("SIGKILL");
      engine = await startEngine(`zerodha-kill-${kill}`);
    }
    await streaming;
    await engine.waitReady(90_000);
    await bench.ledger.waitForEnds(ids, 240_000);
    emulator.clearFaults();
    await sleep(2_000);

    const stats = emulator.stats();
    process.stdout.write(
      `zerodha-kill-loop: ${KILLS} kills, ${stats.placements} orders at Kite, ${stats.faultsInjected.timeoutAfterAccept ?? 0} placements unanswered\n`,
    );
    expect(stats.faultsInjected.timeoutAfterAccept ?? 0).toBeGreaterThan(0);
    expect(bench.ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
    expect(stats.placements).toBe(SIGNALS);
  });
});
