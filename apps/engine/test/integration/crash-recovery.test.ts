import { describe, expect } from "vitest";
import { FILE_SCOPE, spawnedEngineTest, TAKEOVER_ENV } from "./test-support/fixtures.js";
import { liveRecordProblems, readLiveRecord } from "./test-support/live-standin.js";
import {
  eventually,
  sendTicks,
  signalSeries,
  startStream,
  tokensCoveringPartitions,
  waitForAllCommitted,
} from "./test-support/signal-stream.js";

const SIGNALS = 300;
const strategyId = "crash_live";
const tokens = tokensCoveringPartitions(strategyId, 3, 2);

const it = spawnedEngineTest.extend("options", FILE_SCOPE, {
  label: "crash",
  strategies: [{ id: strategyId, zerodhaTradingEnabled: true }],
  env: {
    LIVESIM_DELAY_MS: "5",
    // The order is recorded at the stand-in well before its answer: a kill catches some.
    LIVESIM_ANSWER_DELAY_MS: "30",
    ...TAKEOVER_ENV,
  },
});

describe("engine process killed with SIGKILL mid-stream", () => {
  it("gives every signal exactly one result per namespace and trades none twice after a restart", async ({
    bench,
    ledger,
    site: { groupId, signalTopic },
    recordFile,
    spawnEngine,
    spawnReady,
  }) => {
    const { signals, byKey } = signalSeries(strategyId, tokens, SIGNALS);
    const ids = signals.map((signal) => signal.id);
    ledger.expect(ids);

    const first = await spawnReady("engine-1", tokens);

    const streaming = startStream(bench.producer, signalTopic, signals, {
      durationMs: 8_000,
      chunk: 20,
    });
    await eventually(
      () => ledger.completed() >= SIGNALS / 3,
      30_000,
      () => `a third of the results before the kill: ${ledger.describe()}`,
      10,
    );
    // Kill while a batch is in flight: the stand-in has placed orders the journal has not
    // completed yet. Bounded: past the deadline it kills anyway.
    const midFlightDeadline = Date.now() + 2_000;
    while (Date.now() < midFlightDeadline) {
      const open = await bench.db.query<{ signal_id: string }>(
        "select signal_id from engine_execution_journal where status = 'submitted' and namespace = 'livesim'",
      );
      if (open.length > 0) {
        const placed = new Set(readLiveRecord(recordFile).map((order) => order.signal_id));
        if (open.some((row) => placed.has(row.signal_id))) break;
      }
    }
    const killed = await first.stop("SIGKILL");
    const completedAtKill = ledger.completed();
    const sentAtKill = streaming.sent;
    expect(killed.signal).toBe("SIGKILL");
    // Killed in the middle of the stream, not after it.
    expect(completedAtKill).toBeLessThan(SIGNALS);
    expect(sentAtKill).toBeLessThan(SIGNALS);
    // What the kill left in flight: claimed, never completed.
    const leftInFlight = await bench.db.query<{ signal_id: string; namespace: string }>(
      "select signal_id, namespace from engine_execution_journal where status = 'submitted'",
    );
    const placedAtKill = new Set(readLiveRecord(recordFile).map((order) => order.signal_id));
    const placedInFlight = leftInFlight.filter(
      (row) => row.namespace === "livesim" && placedAtKill.has(row.signal_id),
    ).length;
    // The case that matters: orders the broker holds whose results the engine never stored.
    expect(placedInFlight, "the kill caught no placed order in flight").toBeGreaterThan(0);

    const second = await spawnEngine("engine-2");
    await streaming.done;
    // Joining waits for the dead member's session (KAFKA_SESSION_TIMEOUT_MS, 6 s) to expire.
    await second.waitReady(60_000);
    await sendTicks(bench.producer, tokens);
    await ledger.waitForAll(60_000);
    // Everything produced is handled and committed: no late result can still come.
    await waitForAllCommitted(bench.admin, groupId, signalTopic, 30_000);
    // Let any copy published just before the last commit reach the recorder.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(ledger.problems()).toEqual([]);
    expect(liveRecordProblems(recordFile, ids)).toEqual([]);
    // Within a key, results come in signal order, copies and redelivery included. Exempt: the
    // live executions the kill left in flight, which the restarted engine's order follower
    // reconciles concurrently, so their results may come in any order among themselves.
    const reconciled = new Set(
      leftInFlight.filter((row) => row.namespace === "livesim").map((row) => row.signal_id),
    );
    expect(ledger.orderProblems("livesim.orders.filled", byKey, reconciled)).toEqual([]);

    const journal = await bench.db.query<{ status: string; count: string }>(
      "select case when status in ('filled', 'rejected', 'cancelled', 'expired') then 'ended' else status end as status, count(*)::text as count from engine_execution_journal group by 1",
    );
    expect(journal).toEqual([{ status: "ended", count: String(SIGNALS * 2) }]);
    const recovered = await bench.db.query<{ count: string }>(
      "select count(*)::text as count from engine_execution_journal where attempts > 1",
    );
    process.stdout.write(
      `crash-recovery: killed after ${completedAtKill}/${SIGNALS} results (${sentAtKill} sent); ${leftInFlight.length} executions left in flight (${reconciled.size} live, ${placedInFlight} of them placed); ${recovered[0]?.count} taken over by the pipeline\n`,
    );
  });
});
