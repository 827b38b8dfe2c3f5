import { join } from "node:path";
import { describe, expect } from "vitest";
import type { Bench } from "./test-support/bench.js";
import { putStrategy } from "./test-support/database.js";
import type { ProcessEnv, SpawnedEngines } from "./test-support/engine-process.js";
import {
  FILE_SCOPE,
  newSite,
  type SpawnEngine,
  spawnedEngineTest,
} from "./test-support/fixtures.js";
import { liveRecordProblems, readLiveRecord } from "./test-support/live-standin.js";
import type { ResultLedger } from "./test-support/result-ledger.js";
import {
  committedAndEnd,
  eventually,
  prepareSignalTopic,
  produceStream,
  sendSignals,
  sendTicks,
  signalSeries,
  tokensCoveringPartitions,
} from "./test-support/signal-stream.js";

const PARTITIONS = 3;
/** main.ts exits with an error when stopping takes longer. */
const STOP_DEADLINE_MS = 10_000;

// Each scenario reads a namespace and consumer group of its own.
const it = spawnedEngineTest.extend("options", FILE_SCOPE, {
  label: "shutdown",
  partitions: 0,
});

/** A namespace and consumer group of its own for one scenario, its signal topic prepared. */
async function scenario(
  label: string,
  bench: Bench,
  engines: SpawnedEngines,
  spawnEngine: SpawnEngine,
) {
  const site = newSite(label);
  await prepareSignalTopic(bench.admin, site.signalTopic, PARTITIONS, site.groupId);
  const recordFile = join(engines.logDir, `${site.namespace}-livesim.jsonl`);
  return {
    ...site,
    recordFile,
    start: (name: string, extra: ProcessEnv = {}) => spawnEngine(name, extra, { site, recordFile }),
  };
}

/** Journaled results whose event ids were never seen on their topics. */
async function journaledButUnpublished(
  bench: Bench,
  ledger: ResultLedger,
  ids: readonly string[],
): Promise<string[]> {
  const rows = await bench.db.query<{ signal_id: string; namespace: string; events: unknown }>(
    "select signal_id, namespace, events from engine_execution_journal where signal_id = any($1)",
    [ids],
  );
  const seen = new Set(ledger.results().map((m) => String(m.json.id)));
  const missing: string[] = [];
  for (const row of rows) {
    const events = (row.events ?? []) as { event: { id: string } }[];
    for (const { event } of events) {
      if (!seen.has(event.id)) missing.push(`${row.signal_id}/${row.namespace}: ${event.id}`);
    }
  }
  return missing;
}

async function journalStatuses(
  bench: Bench,
  ids: readonly string[],
): Promise<Record<string, number>> {
  const rows = await bench.db.query<{ status: string; count: string }>(
    `select case when status in ('filled', 'rejected', 'cancelled', 'expired') then 'ended'
       else status end as status, count(*)::text as count
     from engine_execution_journal where signal_id = any($1) group by 1`,
    [ids],
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
}

describe("SIGTERM stops the engine process cleanly", () => {
  it("exits 0 within 10 s with every handled signal published and its offset committed", async ({
    bench,
    ledger,
    engines,
    spawnEngine,
  }) => {
    const { admin } = bench;
    const s = await scenario("stop", bench, engines, spawnEngine);
    const engine = await s.start("engine-stop");
    await engine.waitReady();
    const strategyId = "stop_live";
    await putStrategy(bench.db, { id: strategyId, zerodhaTradingEnabled: true });
    const tokens = tokensCoveringPartitions(strategyId, PARTITIONS, 2);
    await sendTicks(bench.producer, tokens);

    const { signals } = signalSeries(strategyId, tokens, 120);
    const ids = signals.map((signal) => signal.id);
    ledger.expect(ids);
    await produceStream(bench.producer, s.signalTopic, signals, { durationMs: 1_000 });
    // Nothing more is produced: once every result is out, nothing is left to handle.
    await ledger.waitForAll(30_000, ids);

    const exit = await engine.stop("SIGTERM");
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.durationMs).toBeLessThan(STOP_DEADLINE_MS);
    expect(engine.logLines().some((line) => line.msg === "stopped")).toBe(true);

    // The last batch's offset was committed before the consumer left.
    const offsets = await committedAndEnd(admin, s.groupId, s.signalTopic);
    expect(offsets).toHaveLength(PARTITIONS);
    for (const { partition, committed, end } of offsets) {
      expect({ partition, committed }).toEqual({ partition, committed: end });
    }
    expect(offsets.reduce((sum, p) => sum + Number(p.end), 0)).toBe(ids.length);

    expect(await journalStatuses(bench, ids)).toEqual({ ended: ids.length * 2 });
    expect(await journaledButUnpublished(bench, ledger, ids)).toEqual([]);
    expect(ledger.problems(ids)).toEqual([]);
    expect(liveRecordProblems(s.recordFile, ids)).toEqual([]);
  });

  it("stops mid-lane within 10 s, exits 0, leaves what it did not send to the next owner, and a restart leaves exactly one result per signal", async ({
    bench,
    ledger,
    engines,
    spawnEngine,
  }) => {
    const { admin } = bench;
    const s = await scenario("midflight", bench, engines, spawnEngine);
    const slow = { LIVESIM_DELAY_MS: "300" };
    const engine = await s.start("engine-midflight", slow);
    await engine.waitReady();
    const strategyId = "midflight_live";
    await putStrategy(bench.db, { id: strategyId, zerodhaTradingEnabled: true });
    // One key a partition: a partition's batch is one key's signals, executed one after another
    // (about 3 s for 10 at 300 ms), well inside the stop deadline.
    const tokens = tokensCoveringPartitions(strategyId, PARTITIONS, 1);
    await sendTicks(bench.producer, tokens);

    const { signals } = signalSeries(strategyId, tokens, 30);
    const ids = signals.map((signal) => signal.id);
    ledger.expect(ids);
    await sendSignals(bench.producer, s.signalTopic, signals);

    // Mid-flight: the stand-in has placed some orders of the batch, not all.
    await eventually(
      () => readLiveRecord(s.recordFile).length >= 1,
      30_000,
      () => `a first live order: ${ledger.describe()}`,
      5,
    );
    const placedAtStop = readLiveRecord(s.recordFile).length;
    const exit = await engine.stop("SIGTERM");
    expect(placedAtStop).toBeLessThan(ids.length);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.durationMs).toBeLessThan(STOP_DEADLINE_MS);

    // Every execution is journaled: ended, or left for the next owner (`pending`: not started;
    // `submitted` or `unknown`: withdrawn from the trader's queue or unanswered, to be asked of
    // the broker). Every batch it handled is committed.
    const statuses = await journalStatuses(bench, ids);
    expect(
      Object.keys(statuses).filter(
        (status) => !["ended", "pending", "submitted", "unknown", "accepted"].includes(status),
      ),
    ).toEqual([]);
    expect(Object.values(statuses).reduce((sum, n) => sum + n, 0)).toBe(ids.length * 2);
    const handled = await bench.db.query<{ partition: number; next: string }>(
      `select source_partition as partition, (max(source_offset::bigint) + 1)::text as next
       from engine_signal_journal where signal_id = any($1) group by source_partition`,
      [ids],
    );
    expect(handled.length).toBeGreaterThan(0);
    const offsets = await committedAndEnd(admin, s.groupId, s.signalTopic);
    for (const { partition, next } of handled) {
      const committed = offsets.find((p) => p.partition === partition)?.committed;
      expect({ partition, committed }).toEqual({ partition, committed: next });
    }
    // The recorder may still be reading what was published just before the exit.
    await eventually(
      async () => (await journaledButUnpublished(bench, ledger, ids)).length === 0,
      10_000,
      async () =>
        `published results: ${(await journaledButUnpublished(bench, ledger, ids)).join(", ")}`,
    );

    const restarted = await s.start("engine-midflight-restarted", slow);
    await restarted.waitReady();
    await ledger.waitForAll(45_000, ids);
    await eventually(
      async () =>
        (await committedAndEnd(admin, s.groupId, s.signalTopic)).every(
          (p) => p.committed === p.end || (p.end === "0" && p.committed === "-1"),
        ),
      30_000,
      async () =>
        `committed = end offsets: ${JSON.stringify(await committedAndEnd(admin, s.groupId, s.signalTopic))}`,
    );
    expect(ledger.problems(ids)).toEqual([]);
    expect(liveRecordProblems(s.recordFile, ids)).toEqual([]);
    expect(await journalStatuses(bench, ids)).toEqual({ ended: ids.length * 2 });

    const restartedExit = await restarted.stop("SIGTERM");
    expect(restartedExit).toMatchObject({ code: 0, signal: null });
  });
});
