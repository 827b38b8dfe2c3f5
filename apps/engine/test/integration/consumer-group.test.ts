import { describe, expect } from "vitest";
import type { Bench } from "./test-support/bench.js";
import { putStrategy } from "./test-support/database.js";
import { FILE_SCOPE, spawnedEngineTest } from "./test-support/fixtures.js";
import { liveRecordProblems } from "./test-support/live-standin.js";
import {
  eventually,
  groupState,
  produceStream,
  sendTicks,
  signalSeries,
  tokensCoveringPartitions,
  waitForAllCommitted,
} from "./test-support/signal-stream.js";

const it = spawnedEngineTest.extend("options", FILE_SCOPE, {
  label: "group",
  env: { LIVESIM_DELAY_MS: "2" },
});

const strategyId = "group_live";
// Two keys on each partition, so each instance has work whatever it is assigned.
const tokens = tokensCoveringPartitions(strategyId, 3, 2);

/** Which engine claimed how many executions of these signals, by pid. */
async function claimsByPid(bench: Bench, ids: readonly string[]): Promise<Map<number, number>> {
  const rows = await bench.db.query<{ claimed_by: string; count: string }>(
    `select claimed_by, count(*)::text as count from engine_execution_journal
     where signal_id = any($1) group by claimed_by`,
    [ids],
  );
  // The instance id is `${hostname}-${pid}-${random}`.
  return new Map(rows.map((row) => [Number(row.claimed_by.split("-").at(-2)), Number(row.count)]));
}

describe("two engine processes in one consumer group", () => {
  it("shares the partitions: each signal executed once, both instances working", async ({
    bench,
    ledger,
    site: { groupId, signalTopic },
    recordFile,
    spawnEngine,
  }) => {
    const { admin } = bench;
    const [a, b] = [await spawnEngine("engine-a"), await spawnEngine("engine-b")];
    await Promise.all([a.waitReady(), b.waitReady()]);
    await eventually(
      async () => {
        const group = await groupState(admin, groupId);
        return group.state === "Stable" && group.members === 2;
      },
      30_000,
      async () => `a stable group of two: ${JSON.stringify(await groupState(admin, groupId))}`,
    );
    await putStrategy(bench.db, { id: strategyId, zerodhaTradingEnabled: true });
    await sendTicks(bench.producer, tokens);

    const { signals } = signalSeries(strategyId, tokens, 150);
    const ids = signals.map((signal) => signal.id);
    ledger.expect(ids);
    await produceStream(bench.producer, signalTopic, signals, { durationMs: 1_500 });
    await ledger.waitForAll(45_000, ids);
    // Everything is committed: no copy or late result can still come.
    await waitForAllCommitted(admin, groupId, signalTopic, 20_000);

    expect(ledger.problems(ids)).toEqual([]);
    expect(liveRecordProblems(recordFile, ids)).toEqual([]);
    const claims = await claimsByPid(bench, ids);
    expect([...claims.keys()].sort()).toEqual([a.pid, b.pid].sort());
    expect(claims.get(a.pid)).toBeGreaterThan(0);
    expect(claims.get(b.pid)).toBeGreaterThan(0);
    expect((claims.get(a.pid) ?? 0) + (claims.get(b.pid) ?? 0)).toBe(ids.length * 2);
  });

  it("hands a stopped instance's partitions to the other without losing or repeating a signal", async ({
    bench,
    ledger,
    site: { groupId, signalTopic },
    recordFile,
    engines,
  }) => {
    const { admin } = bench;
    const [a, b] = engines.all;
    if (!a || !b) throw new Error("the first test starts both engines");
    const { signals } = signalSeries(strategyId, tokens, 150);
    const ids = signals.map((signal) => signal.id);
    ledger.expect(ids);

    // B stops while signals flow; the rest of the stream goes to A alone.
    let stopping: Promise<unknown> | null = null;
    await produceStream(bench.producer, signalTopic, signals, {
      durationMs: 2_000,
      onSent: (sent) => {
        if (sent >= 50 && !stopping) stopping = b.stop("SIGTERM");
      },
    });
    await stopping;
    const stopped = b.exit;
    expect(stopped).toMatchObject({ code: 0, signal: null });
    expect(stopped?.durationMs).toBeLessThan(10_000);

    const more = signalSeries(strategyId, tokens, 60).signals;
    const moreIds = more.map((signal) => signal.id);
    ledger.expect(moreIds);
    await produceStream(bench.producer, signalTopic, more, { durationMs: 500 });

    const all = [...ids, ...moreIds];
    await ledger.waitForAll(45_000, all);
    await waitForAllCommitted(admin, groupId, signalTopic, 20_000);
    expect(await groupState(admin, groupId)).toEqual({ state: "Stable", members: 1 });

    expect(ledger.problems(all)).toEqual([]);
    expect(liveRecordProblems(recordFile, ledger.signalIds)).toEqual([]);
    // Everything sent after B left was A's.
    expect([...(await claimsByPid(bench, moreIds)).entries()]).toEqual([
      [a.pid, moreIds.length * 2],
    ]);
  });
});
