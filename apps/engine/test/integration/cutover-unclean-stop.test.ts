import { describe, expect } from "vitest";
import { benchTest, FILE_SCOPE } from "./test-support/fixtures.js";
import { startOldEngine } from "./test-support/old-engine-standin.js";
import { ResultLedger } from "./test-support/result-ledger.js";
import {
  prepareSignalTopic,
  sendSignals,
  signalSeries,
  tokensCoveringPartitions,
} from "./test-support/signal-stream.js";

const it = benchTest.extend("options", FILE_SCOPE, { label: "cutk", namespaces: ["paper"] });

describe("a cut-over after the old engine stopped without committing", () => {
  it("executes again what the old engine executed but never committed, and compare over the window shows each one twice", async ({
    bench,
    cli,
    site: { namespace, signalTopic },
    startEngine,
    teardown,
  }) => {
    const oldGroup = `old-${namespace}`;
    await prepareSignalTopic(bench.admin, signalTopic, 3, oldGroup);
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
    await startEngine();
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
