import { paperPlugin } from "@engine/trader-paper";
import { describe, expect } from "vitest";
import { putStrategy } from "./test-support/database.js";
import { benchTest, FILE_SCOPE, newSite } from "./test-support/fixtures.js";
import { resultsOf, sleep } from "./test-support/probes.js";
import {
  committedAndEnd,
  ensureTopic,
  sendSignals,
  signalSeries,
  tokensCoveringPartitions,
  waitForAllCommitted,
} from "./test-support/signal-stream.js";

const SIGNALS = 100;

// Deliberately no prepared signal topic: the group's offsets are the engine's own doing here.
const it = benchTest.extend("options", FILE_SCOPE, {
  label: "fresh",
  namespaces: ["paper"],
  plugins: [paperPlugin],
  // Each NO_MARKET_PRICE is logged as a warning: expected here.
  env: { LOG_LEVEL: "error" },
});

describe("a signals group without a committed offset", () => {
  it("answers every signal produced after an instance stopped before its first commit", async ({
    bench,
    ledger,
    site: { groupId, signalTopic },
    startEngine,
  }) => {
    const { admin } = bench;
    // The first deployment creates the topics, joins the group, and stops before any signal.
    const first = await startEngine();
    await first.stop();
    const offsets = await committedAndEnd(admin, groupId, signalTopic);
    expect(offsets.map((p) => p.committed)).toEqual(offsets.map(() => "-1"));

    await putStrategy(bench.db, { id: "fresh_strategy" });
    const tokens = tokensCoveringPartitions("fresh_strategy", offsets.length, 2);
    const { signals } = signalSeries("fresh_strategy", tokens, SIGNALS);
    ledger.expect(signals.map((signal) => signal.id));
    await sendSignals(bench.producer, signalTopic, signals);

    await startEngine();
    // Their results may be NO_MARKET_PRICE (no tick was sent): what counts is that each has one.
    await ledger.waitForAll(60_000);
    await waitForAllCommitted(admin, groupId, signalTopic, 30_000);
    expect(ledger.problems()).toEqual([]);
  });

  it("starts at KAFKA_SIGNALS_START when it is a time: what was written before is not read, what came after is", async ({
    bench,
    ledger,
    startEngine,
  }) => {
    const { admin } = bench;
    const timed = newSite("fromtime");
    const { groupId, signalTopic: topic } = timed;
    await ensureTopic(admin, topic, 3);
    const tokens = tokensCoveringPartitions("fresh_strategy", 3, 1);
    const before = signalSeries("fresh_strategy", tokens, 6).signals;
    const after = signalSeries("fresh_strategy", tokens, 6).signals;
    await sendSignals(bench.producer, topic, before);
    // Record timestamps are in milliseconds: keep clear of the boundary.
    await sleep(1_000);
    const startAt = new Date().toISOString();
    await sleep(1_000);
    await sendSignals(bench.producer, topic, after);
    ledger.expect(after.map((signal) => signal.id));

    await startEngine({ KAFKA_SIGNALS_START: startAt }, { site: timed });
    await ledger.waitForAll(
      60_000,
      after.map((signal) => signal.id),
    );
    await waitForAllCommitted(admin, groupId, topic, 30_000);
    expect(ledger.problems(after.map((signal) => signal.id))).toEqual([]);
    expect(before.flatMap((signal) => resultsOf(bench.recorder, signal.id, "paper"))).toEqual([]);
  });
});
