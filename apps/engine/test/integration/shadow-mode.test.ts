import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import { baseEnv, startEngine, type TestEngine } from "./support/in-process-engine.js";
import { connectProducer, kafka, TopicRecorder, uniqueName } from "./support/kafka.js";
import { asMessage, validatedSignal } from "./support/messages.js";
import {
  executionRows,
  livesimOrders,
  primePrice,
  randomToken,
  recordFile,
  resultsOf,
  resultTopics,
  sendOne,
  signalGroupOf,
  sleep,
  waitForCommit,
} from "./support/probes.js";

const SHADOW = "shadow.";

describe("ENGINE_MODE=shadow simulates live namespaces and writes only under the shadow prefix", () => {
  const namespace = uniqueName("shd");
  const token = randomToken();
  const shadowRecord = recordFile();
  const normalRecord = recordFile();
  const strategyId = "shadow_live";
  let db: TestDatabase;
  let shadow: TestEngine;
  let normal: TestEngine | undefined;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await createTestDatabase();
    shadow = await startEngine(
      baseEnv(db.url, namespace, {
        ENGINE_MODE: "shadow",
        LIVESIM_ENABLED: "true",
        LIVESIM_RECORD_FILE: shadowRecord.path,
      }),
    );
    recorder = await new TopicRecorder([
      ...resultTopics("paper"),
      ...resultTopics("livesim"),
      ...resultTopics("paper", SHADOW),
      ...resultTopics("livesim", SHADOW),
    ]).start();
    producer = await connectProducer();
    await putStrategy(db, { id: strategyId, zerodhaTradingEnabled: true });
    await primePrice(shadow, producer, token, 512.4);
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await normal?.stop();
    await shadow?.stop();
    await db?.drop();
    shadowRecord.remove();
    normalRecord.remove();
  });

  it("executes a live namespace with the paper simulator and publishes only to shadow.* topics", async () => {
    const signal = validatedSignal({ strategyId, instrumentToken: token });
    const sent = await sendOne(producer, shadow.running.topics.signals, asMessage(signal));
    await recorder.waitFor(
      () =>
        recorder.causedBy(`${SHADOW}paper.orders.filled`, signal.id).length === 1 &&
        recorder.causedBy(`${SHADOW}livesim.orders.filled`, signal.id).length === 1,
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
    expect(livesimOrders(shadowRecord.path)).toEqual([]);

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
    normal = await startEngine(
      baseEnv(db.url, namespace, {
        LIVESIM_ENABLED: "true",
        LIVESIM_RECORD_FILE: normalRecord.path,
      }),
    );
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
    expect(livesimOrders(normalRecord.path).map((o) => o.signal_id)).toEqual([signal.id]);
    expect(livesimOrders(shadowRecord.path)).toEqual([]);
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
