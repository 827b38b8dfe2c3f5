import type { Env } from "@engine/core";
import type { Admin } from "kafkajs";
import { describe, expect } from "vitest";
import type { Bench } from "./test-support/bench.js";
import { benchTest, FILE_SCOPE, type InProcessEngineOptions } from "./test-support/fixtures.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import type { MigrationCli } from "./test-support/migration-cli.js";
import { OldEngineStandin } from "./test-support/old-engine-standin.js";
import type { ResultLedger } from "./test-support/result-ledger.js";
import {
  committedAndEnd,
  groupState,
  prepareSignalTopic,
  produceStream,
  type SignalEvent,
  sendTicks,
  signalSeries,
  tokensCoveringPartitions,
  waitForAllCommitted,
} from "./test-support/signal-stream.js";

const PARTITIONS = 3;
const strategyId = "cutover_paper";
const tokens = tokensCoveringPartitions(strategyId, PARTITIONS, 2);

const it = benchTest.extend("options", FILE_SCOPE, { label: "cut", namespaces: ["paper"] });

describe("engine cutover moves the signals topic between the old engine's group and the new one's", () => {
  // The file's fixtures, bound once: the tests below are steps of one migration.
  let bench: Bench;
  let admin: Admin;
  let ledger: ResultLedger;
  let cli: MigrationCli;
  let startEngine: (extra?: Env, engine?: InProcessEngineOptions) => Promise<TestEngine>;
  let signalTopic = "";
  let oldGroup = "";
  let newGroup = "";
  let old: OldEngineStandin;
  let engine: TestEngine | null = null;
  /** Before the first signal of the cut-over test. */
  let windowFrom = "";

  it.beforeAll(async ({ bench: b, ledger: l, cli: c, startEngine: start, site, teardown }) => {
    [bench, ledger, cli, startEngine] = [b, l, c, start];
    admin = bench.admin;
    signalTopic = site.signalTopic;
    oldGroup = `old-${site.namespace}.trading_engine`;
    newGroup = site.groupId;
    await prepareSignalTopic(admin, signalTopic, PARTITIONS, oldGroup);
    old = new OldEngineStandin({ signalTopic, groupId: oldGroup });
    await old.start();
    teardown.defer(() => old.stop());
  });

  function cutover(args: string[]) {
    return cli.run(["cutover", ...args]);
  }

  /** Produces `signals` over `durationMs`, running `change` once `at` are sent, while the rest flow. */
  async function produceSwitchingAt(
    signals: SignalEvent[],
    at: number,
    durationMs: number,
    change: () => Promise<void>,
  ): Promise<void> {
    let changing: Promise<void> | null = null;
    await produceStream(bench.producer, signalTopic, signals, {
      durationMs,
      onSent: (sent) => {
        if (sent >= at && !changing) changing = change();
      },
    });
    await changing;
  }

  async function startNewEngine(): Promise<TestEngine> {
    const started = await startEngine();
    engine = started;
    return started;
  }

  it("refuses while the old engine's group has members, and changes nothing", async () => {
    const before = await committedAndEnd(admin, newGroup, signalTopic);
    const run = await cutover(["--from-group", oldGroup, "--yes"]);
    expect(run.exit.code, run.output).toBe(3);
    expect(run.stderr).toContain(`consumer group "${oldGroup}" has 1 active member(s)`);
    expect(await committedAndEnd(admin, newGroup, signalTopic)).toEqual(before);
  });

  it("cuts over while signals keep arriving: every signal gets exactly one result", async () => {
    windowFrom = new Date(Date.now() - 1_000).toISOString();
    await sendTicks(bench.producer, tokens);
    const { signals } = signalSeries(strategyId, tokens, 90);
    const ids = signals.map((signal) => signal.id);
    ledger.expect(ids);

    const cutOver = async () => {
      await old.stop();
      const dry = await cutover(["--from-group", oldGroup]);
      expect(dry.exit.code, dry.output).toBe(0);
      expect(dry.stdout).toContain("dry run: nothing changed");
      const plan = await committedAndEnd(admin, oldGroup, signalTopic);
      const run = await cutover(["--from-group", oldGroup, "--yes"]);
      expect(run.exit.code, run.output).toBe(0);
      expect(run.stdout).toContain(`"${newGroup}" now starts where "${oldGroup}" stopped`);
      // The new group starts exactly where the old one stopped, partition by partition.
      expect((await committedAndEnd(admin, newGroup, signalTopic)).map((p) => p.committed)).toEqual(
        plan.map((p) => p.committed),
      );
      await startNewEngine();
    };
    await produceSwitchingAt(signals, 30, 6_000, cutOver);
    await ledger.waitForAll(60_000, ids);
    await waitForAllCommitted(admin, newGroup, signalTopic, 30_000);

    expect(ledger.problems(ids)).toEqual([]);
    // Both engines did part of the work: the cut happened mid-stream.
    expect(old.executed.length).toBeGreaterThan(0);
    expect(old.executed.length).toBeLessThan(ids.length);
  });

  it("rolls back the same way: every signal gets exactly one result", async () => {
    const running = engine;
    if (!running) throw new Error("the cut-over test starts the new engine");
    const { signals } = signalSeries(strategyId, tokens, 60);
    const ids = signals.map((signal) => signal.id);
    ledger.expect(ids);
    const executedBefore = old.executed.length;

    const rollBack = async () => {
      await running.stop();
      const run = await cutover(["--to-group", oldGroup, "--yes"]);
      expect(run.exit.code, run.output).toBe(0);
      expect(run.stdout).toContain(`"${oldGroup}" now starts where "${newGroup}" stopped`);
      old = new OldEngineStandin({ signalTopic, groupId: oldGroup });
      await old.start();
    };
    await produceSwitchingAt(signals, 20, 4_000, rollBack);
    await ledger.waitForAll(60_000, ids);
    await waitForAllCommitted(admin, oldGroup, signalTopic, 30_000);

    expect(ledger.problems()).toEqual([]);
    expect(old.executed.length).toBeGreaterThan(0);
    expect(old.executed.length).toBeLessThan(ids.length);
    expect(executedBefore).toBeGreaterThan(0);
    expect(await groupState(admin, newGroup)).toMatchObject({ members: 0 });
  });

  it("compare over the cut-over and roll-back window finds no signal executed twice and none without a result", async () => {
    const report = await cli.compareCutoverWindow(windowFrom);
    expect(report.signals).toBe(ledger.signalIds.length);
    expect(report.signalsWithoutResult).toBe(0);
    // Both engines write the same topics now: every result counts as one side's.
    expect(report.pairs).toEqual({
      total: report.signals,
      both: 0,
      onlyOld: report.signals,
      onlyNew: 0,
    });
    expect(report.duplicates).toEqual({ old: 0, new: 0 });
  });
});
