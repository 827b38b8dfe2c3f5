import type { Admin } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Bench, openBench } from "./support/bench.js";
import { baseEnv, startEngine } from "./support/in-process-engine.js";
import { uniqueName } from "./support/kafka.js";
import { MigrationCli } from "./support/migration-cli.js";
import { startOldEngine } from "./support/old-engine-standin.js";
import { resultTopics } from "./support/probes.js";
import { ResultLedger } from "./support/result-ledger.js";
import {
  openAdmin,
  prepareSignalTopic,
  sendSignals,
  signalSeries,
  tokensCoveringPartitions,
} from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";

describe("a cut-over after the old engine stopped without committing", () => {
  const namespace = uniqueName("cutk");
  const signalTopic = `${namespace}.signals.validated`;
  const oldGroup = `old-${namespace}`;
  const env = baseEnv("", namespace);
  const cli = new MigrationCli({ namespace, groupIdPrefix: String(env.KAFKA_GROUP_ID_PREFIX) });
  const teardown = new Teardown();
  let bench: Bench;
  let admin: Admin;

  beforeAll(async () => {
    bench = await openBench(teardown, resultTopics("paper"));
    admin = await openAdmin(teardown);
    await prepareSignalTopic(admin, signalTopic, 3, oldGroup);
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail") process.stderr.write(cli.outputs.join("\n"));
  });

  afterAll(() => teardown.run());

  it("executes again what the old engine executed but never committed, and compare over the window shows each one twice", async () => {
    const from = new Date(Date.now() - 1_000).toISOString();
    const { signals } = signalSeries("unclean", tokensCoveringPartitions("unclean", 3, 1), 6);
    const ids = signals.map((signal) => signal.id);
    const ledger = new ResultLedger(bench.recorder, ["paper"]);
    ledger.expect(ids);
    // Executes every signal and leaves without a commit: what a SIGKILL leaves behind.
    const old = await startOldEngine(teardown, { signalTopic, groupId: oldGroup, commits: false });
    await sendSignals(bench.producer, signalTopic, signals);
    await ledger.waitForAll(30_000);
    await old.stop();

    const applied = await cli.run(["cutover", "--from-group", oldGroup, "--yes"]);
    expect(applied.exit.code, applied.output).toBe(0);
    // The plan shows all six waiting for the new engine: the old group never moved.
    expect(applied.stdout.match(/│ 2\s*│$/gm)).toHaveLength(3);
    await startEngine(teardown, baseEnv(bench.db.url, namespace));
    await bench.recorder.waitFor(
      () => [...ledger.distinct(ids).values()].every((byNs) => byNs.get("paper")?.size === 2),
      30_000,
      "a second result for each signal",
    );

    const report = await cli.compareCutoverWindow(from);
    expect(report.signals).toBe(6);
    expect(report.duplicates.old).toBe(6);
    expect(report.signalsWithoutResult).toBe(0);
  });
});
