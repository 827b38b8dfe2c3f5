import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaKillOptions, zerodhaProcessTest } from "./test-support/fixtures.js";
import { sleep } from "./test-support/probes.js";
import { produceStream, signalSeries } from "./test-support/signal-stream.js";
import { NSE_EQUITIES } from "./test-support/zerodha-harness.js";

const SIGNALS = 150;
const KILLS = 5;

const strategyId = "zd_kill";

const options = zerodhaKillOptions("zdkill", strategyId, 1_500);
const it = zerodhaProcessTest.extend("options", FILE_SCOPE, options);

const tokens = NSE_EQUITIES.slice(0, 8).map((row) => row.token);

/**
 * Issue 10, items 1 to 3: the engine SIGKILLed again and again while signals stream in and Kite
 * leaves a tenth of the placements unanswered. Every signal gets one order at Kite, one
 * `order_placed` and one end; no order Kite has is reported failed; none is skipped.
 */
describe("zerodha: the engine killed over and over with unanswered placements", () => {
  it("gives every signal one order at Kite and one filled end after five SIGKILLs", async ({
    emulator,
    bench,
    site: { signalTopic },
    spawnEngine,
    spawnReady,
  }) => {
    emulator.setFaults({ timeoutAfterAccept: { probability: 0.1, mode: "hang" } });
    const { signals, ids } = signalSeries(strategyId, tokens, SIGNALS);
    let engine = await spawnReady("zerodha-kill-0", tokens);

    const streaming = produceStream(bench.producer, signalTopic, signals, {
      durationMs: 20_000,
      chunk: 5,
    });
    for (let kill = 1; kill <= KILLS; kill++) {
      await sleep(3_000 + Math.floor(Math.random() * 2_000));
      const killed = await engine.stop("SIGKILL");
      expect(killed.signal).toBe("SIGKILL");
      engine = await spawnEngine(`zerodha-kill-${kill}`);
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
