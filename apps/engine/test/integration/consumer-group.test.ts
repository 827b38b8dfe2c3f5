import { join } from "node:path";
import type { Admin } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Bench, openBench } from "./support/bench.js";
import { putStrategy } from "./support/database.js";
import {
  type EngineProcess,
  engineEnv,
  freePort,
  SpawnedEngines,
  signalGroupId,
} from "./support/engine-process.js";
import { uniqueName } from "./support/kafka.js";
import { liveRecordProblems } from "./support/live-standin.js";
import { resultTopics } from "./support/probes.js";
import { ResultLedger } from "./support/result-ledger.js";
import {
  eventually,
  groupState,
  openAdmin,
  prepareSignalTopic,
  produceStream,
  sendTicks,
  signalSeries,
  tokensCoveringPartitions,
  waitForAllCommitted,
} from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";

const NAMESPACES = ["paper", "livesim"];
const PARTITIONS = 3;

describe("two engine processes in one consumer group", () => {
  const namespace = uniqueName("group");
  const groupIdPrefix = uniqueName("it-group-");
  const groupId = signalGroupId(groupIdPrefix);
  const signalTopic = `${namespace}.signals.validated`;
  const teardown = new Teardown();
  const engines = new SpawnedEngines(teardown, "engine-group", () =>
    ledger ? `results: ${ledger.describe()}` : "",
  );
  const recordFile = join(engines.logDir, "livesim-orders.jsonl");
  const strategyId = "group_live";
  // Two keys on each partition, so each instance has work whatever it is assigned.
  const tokens = tokensCoveringPartitions(strategyId, PARTITIONS, 2);
  let bench: Bench;
  let admin: Admin;
  let ledger: ResultLedger;

  async function startEngine(name: string): Promise<EngineProcess> {
    return engines.spawn(
      name,
      engineEnv({
        databaseUrl: bench.db.url,
        namespace,
        groupIdPrefix,
        httpPort: await freePort(),
        recordFile,
        extra: { LIVESIM_DELAY_MS: "2" },
      }),
    );
  }

  /** Which engine claimed how many executions of these signals, by pid. */
  async function claimsByPid(ids: readonly string[]): Promise<Map<number, number>> {
    const rows = await bench.db.query<{ claimed_by: string; count: string }>(
      `select claimed_by, count(*)::text as count from engine_execution_journal
       where signal_id = any($1) group by claimed_by`,
      [ids],
    );
    // The instance id is `${hostname}-${pid}-${random}`.
    return new Map(
      rows.map((row) => [Number(row.claimed_by.split("-").at(-2)), Number(row.count)]),
    );
  }

  beforeAll(async () => {
    bench = await openBench(teardown, resultTopics(NAMESPACES));
    admin = await openAdmin(teardown);
    await prepareSignalTopic(admin, signalTopic, PARTITIONS, groupId);
    ledger = new ResultLedger(bench.recorder, NAMESPACES);
  });

  afterEach((context) => {
    engines.dumpOnFailure(context.task.result?.state);
  });

  afterAll(() => teardown.run());

  it("shares the partitions: each signal executed once, both instances working", async () => {
    const [a, b] = [await startEngine("engine-a"), await startEngine("engine-b")];
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
    const claims = await claimsByPid(ids);
    expect([...claims.keys()].sort()).toEqual([a.pid, b.pid].sort());
    expect(claims.get(a.pid)).toBeGreaterThan(0);
    expect(claims.get(b.pid)).toBeGreaterThan(0);
    expect((claims.get(a.pid) ?? 0) + (claims.get(b.pid) ?? 0)).toBe(ids.length * 2);
  });

  it("hands a stopped instance's partitions to the other without losing or repeating a signal", async () => {
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
    expect([...(await claimsByPid(moreIds)).entries()]).toEqual([[a.pid, moreIds.length * 2]]);
  });
});
