import { paperPlugin } from "@engine/trader-paper";
import type { Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bench, openBench } from "./support/bench.js";
import { putStrategy } from "./support/database.js";
import { signalGroupId } from "./support/engine-process.js";
import { baseEnv, startEngine } from "./support/in-process-engine.js";
import { uniqueName } from "./support/kafka.js";
import { resultsOf, resultTopics, sleep } from "./support/probes.js";
import { ResultLedger } from "./support/result-ledger.js";
import {
  committedAndEnd,
  ensureTopic,
  openAdmin,
  sendSignals,
  signalSeries,
  tokensCoveringPartitions,
  waitForAllCommitted,
} from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";

const SIGNALS = 100;

// Deliberately not `prepareSignalTopic`: the group's offsets are the engine's own doing here.
describe("a signals group without a committed offset", () => {
  const namespace = uniqueName("fresh");
  const signalTopic = `${namespace}.signals.validated`;
  const teardown = new Teardown();
  let bench: Bench;
  let admin: Admin;
  let ledger: ResultLedger;

  beforeAll(async () => {
    bench = await openBench(teardown, resultTopics("paper"));
    admin = await openAdmin(teardown);
    ledger = new ResultLedger(bench.recorder, ["paper"]);
  });

  afterAll(() => teardown.run());

  it("answers every signal produced after an instance stopped before its first commit", async () => {
    // Each NO_MARKET_PRICE is logged as a warning: expected here.
    const env = baseEnv(bench.db.url, namespace, { LOG_LEVEL: "error" });
    const groupId = signalGroupId(env.KAFKA_GROUP_ID_PREFIX ?? "");
    // The first deployment creates the topics, joins the group, and stops before any signal.
    const first = await startEngine(teardown, env, { plugins: [paperPlugin] });
    await first.stop();
    const offsets = await committedAndEnd(admin, groupId, signalTopic);
    expect(offsets.map((p) => p.committed)).toEqual(offsets.map(() => "-1"));

    await putStrategy(bench.db, { id: "fresh_strategy" });
    const tokens = tokensCoveringPartitions("fresh_strategy", offsets.length, 2);
    const { signals } = signalSeries("fresh_strategy", tokens, SIGNALS);
    ledger.expect(signals.map((signal) => signal.id));
    await sendSignals(bench.producer, signalTopic, signals);

    await startEngine(teardown, env, { plugins: [paperPlugin] });
    // Their results may be NO_MARKET_PRICE (no tick was sent): what counts is that each has one.
    await ledger.waitForAll(60_000);
    await waitForAllCommitted(admin, groupId, signalTopic, 30_000);
    expect(ledger.problems()).toEqual([]);
  });

  it("starts at KAFKA_SIGNALS_START when it is a time: what was written before is not read, what came after is", async () => {
    const timed = uniqueName("fromtime");
    const topic = `${timed}.signals.validated`;
    const env = baseEnv(bench.db.url, timed, { LOG_LEVEL: "error" });
    const groupId = signalGroupId(env.KAFKA_GROUP_ID_PREFIX ?? "");
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

    await startEngine(
      teardown,
      { ...env, KAFKA_SIGNALS_START: startAt },
      { plugins: [paperPlugin] },
    );
    await ledger.waitForAll(
      60_000,
      after.map((signal) => signal.id),
    );
    await waitForAllCommitted(admin, groupId, topic, 30_000);
    expect(ledger.problems(after.map((signal) => signal.id))).toEqual([]);
    expect(before.flatMap((signal) => resultsOf(bench.recorder, signal.id, "paper"))).toEqual([]);
  });
});
