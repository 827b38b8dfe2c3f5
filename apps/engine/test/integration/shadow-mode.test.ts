import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import { baseEnv, startEngine, type TestEngine } from "./support/in-process-engine.js";
import {
  kafka,
  openProducer,
  openRecorder,
  type TopicRecorder,
  uniqueName,
} from "./support/kafka.js";
import { liveRecordFile, liveStandinEnv, readLiveRecord } from "./support/live-standin.js";
import { asMessage, validatedSignal } from "./support/messages.js";
import {
  executionRows,
  primePrice,
  randomToken,
  resultsOf,
  resultTopics,
  sendOne,
  signalGroupOf,
  sleep,
  waitForCommit,
} from "./support/probes.js";
import { Teardown } from "./support/teardown.js";

const SHADOW = "shadow.";

describe("ENGINE_MODE=shadow simulates live namespaces and writes only under the shadow prefix", () => {
  const namespace = uniqueName("shd");
  const token = randomToken();
  const teardown = new Teardown();
  const shadowRecord = liveRecordFile(teardown);
  const normalRecord = liveRecordFile(teardown);
  const strategyId = "shadow_live";
  let db: TestDatabase;
  let shadow: TestEngine;
  let normal: TestEngine | undefined;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await openTestDatabase(teardown);
    shadow = await startEngine(
      teardown,
      baseEnv(db.url, namespace, { ENGINE_MODE: "shadow", ...liveStandinEnv(shadowRecord) }),
    );
    // After the shadow engine, so the prefixed topics it is checked for are its own creation.
    recorder = await openRecorder(teardown, [
      ...resultTopics(["paper", "livesim"]),
      ...resultTopics(["paper", "livesim"], SHADOW),
    ]);
    producer = await openProducer(teardown);
    await putStrategy(db, { id: strategyId, zerodhaTradingEnabled: true });
    await primePrice(shadow, producer, token, 512.4);
  });

  afterAll(() => teardown.run());

  it("executes a live namespace with the paper simulator and publishes only to shadow.* topics", async () => {
    const signal = validatedSignal({ strategyId, instrumentToken: token });
    const sent = await sendOne(producer, shadow.running.topics.signals, asMessage(signal));
    await recorder.waitForResults(
      signal.id,
      [`${SHADOW}paper.orders.filled`, `${SHADOW}livesim.orders.filled`],
      30_000,
      "fills on shadow.paper and shadow.livesim",
    );
    await waitForCommit(signalGroupOf(shadow), shadow.running.topics.signals, sent);
    await sleep(1_500);

    const [live] = recorder.causedBy(`${SHADOW}livesim.orders.filled`, signal.id);
    expect(live?.json).toMatchObject({
      type: "order_filled",
      broker: "livesim",
      data: { execution_mode: "livesim", broker: "livesim" },
    });
    // The simulator's order id: no live broker was asked.
    expect(String(live?.json.data?.order_id)).toMatch(/^paper_/);
    expect(readLiveRecord(shadowRecord)).toEqual([]);

    expect(resultsOf(recorder, signal.id, "paper", SHADOW)).toHaveLength(1);
    expect(resultsOf(recorder, signal.id, "livesim", SHADOW)).toHaveLength(1);
    expect(resultsOf(recorder, signal.id, "paper")).toEqual([]);
    expect(resultsOf(recorder, signal.id, "livesim")).toEqual([]);

    expect(
      (await executionRows(db, signal.id)).map(({ namespace, shadow }) => ({ namespace, shadow })),
    ).toEqual([
      // Journaled under the prefix: a normal engine on the same database never takes them for its own.
      { namespace: `${SHADOW}livesim`, shadow: true },
      { namespace: `${SHADOW}paper`, shadow: false },
    ]);
  });

  it("creates its output and dead-letter topics under the prefix", async () => {
    const admin = kafka.admin();
    await admin.connect();
    const topics = new Set(await admin.listTopics());
    await admin.disconnect();
    for (const topic of [
      ...resultTopics("paper", SHADOW),
      ...resultTopics("livesim", SHADOW),
      `${SHADOW}${namespace}.signals.validated.dlq`,
      `${SHADOW}market.ticks.dlq`,
    ]) {
      expect(topics, topic).toContain(topic);
    }
    expect(shadow.running.topics.signals).toBe(`${namespace}.signals.validated`);
  });

  it("consumes in a group of its own: beside a normal engine on the same input and database, each executes the signal once", async () => {
    normal = await startEngine(teardown, baseEnv(db.url, namespace, liveStandinEnv(normalRecord)));
    expect(signalGroupOf(normal)).not.toBe(signalGroupOf(shadow));
    await primePrice(normal, producer, token, 512.4);

    const signal = validatedSignal({ strategyId, instrumentToken: token });
    const sent = await sendOne(producer, shadow.running.topics.signals, asMessage(signal));
    await recorder.waitFor(
      () =>
        recorder.causedBy(`${SHADOW}paper.orders.filled`, signal.id).length >= 1 &&
        recorder.causedBy(`${SHADOW}livesim.orders.filled`, signal.id).length >= 1 &&
        recorder.causedBy("paper.orders.filled", signal.id).length >= 1 &&
        recorder.causedBy("livesim.orders.filled", signal.id).length >= 1,
      30_000,
      "fills from both engines",
    );
    await waitForCommit(signalGroupOf(shadow), shadow.running.topics.signals, sent);
    await waitForCommit(signalGroupOf(normal), normal.running.topics.signals, sent);
    await sleep(1_500);

    for (const prefix of ["", SHADOW]) {
      for (const ns of ["paper", "livesim"]) {
        expect(resultsOf(recorder, signal.id, ns, prefix), `${prefix}${ns}`).toHaveLength(1);
      }
    }
    // The normal engine traded live, the shadow engine did not.
    const [normalLive] = recorder.causedBy("livesim.orders.filled", signal.id);
    const [shadowLive] = recorder.causedBy(`${SHADOW}livesim.orders.filled`, signal.id);
    expect(String(normalLive?.json.data?.order_id)).toMatch(/^livesim_/);
    expect(String(shadowLive?.json.data?.order_id)).toMatch(/^paper_/);
    // A new group reads the topic from its start: the first test's signal is the normal engine's
    // to trade too. This one was traded once.
    expect(readLiveRecord(normalRecord).filter((o) => o.signal_id === signal.id)).toHaveLength(1);
    expect(readLiveRecord(shadowRecord)).toEqual([]);
    expect(
      (await executionRows(db, signal.id)).map(({ namespace, shadow, attempts }) => ({
        namespace,
        shadow,
        attempts,
      })),
    ).toEqual([
      { namespace: "livesim", shadow: false, attempts: 1 },
      { namespace: "paper", shadow: false, attempts: 1 },
      { namespace: `${SHADOW}livesim`, shadow: true, attempts: 1 },
      { namespace: `${SHADOW}paper`, shadow: false, attempts: 1 },
    ]);
  });
});
