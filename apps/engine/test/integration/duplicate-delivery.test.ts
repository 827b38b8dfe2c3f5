import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import { baseEnv, startEngine, type TestEngine } from "./support/in-process-engine.js";
import { openProducer, openRecorder, type TopicRecorder, uniqueName } from "./support/kafka.js";
import { liveRecordFile, liveStandinEnv, readLiveRecord } from "./support/live-standin.js";
import { asMessage, validatedSignal } from "./support/messages.js";
import { executionRows, primePrice, randomToken, resultTopics, sleep } from "./support/probes.js";
import { Teardown } from "./support/teardown.js";

describe("a validated signal delivered twice is executed once and its result republished unchanged", () => {
  const namespace = uniqueName("dup");
  const token = randomToken();
  const teardown = new Teardown();
  const recordFile = liveRecordFile(teardown);
  const strategyId = "dup_live";
  let db: TestDatabase;
  let engine: TestEngine;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await openTestDatabase(teardown);
    engine = await startEngine(teardown, baseEnv(db.url, namespace, liveStandinEnv(recordFile)));
    recorder = await openRecorder(teardown, resultTopics(["paper", "livesim"]));
    producer = await openProducer(teardown);
    await putStrategy(db, { id: strategyId, zerodhaTradingEnabled: true });
    await primePrice(engine, producer, token, 845.3);
  });

  afterAll(() => teardown.run());

  const fills = (namespace: string, signalId: string) =>
    recorder.causedBy(`${namespace}.orders.filled`, signalId);

  /** One order at the broker, one journal row per namespace with one attempt, one event id per namespace. */
  async function expectExecutedOnce(signalId: string): Promise<void> {
    expect(readLiveRecord(recordFile).filter((order) => order.signal_id === signalId)).toHaveLength(
      1,
    );
    const rows = await executionRows(db, signalId);
    expect(
      rows.map(({ namespace, attempts, status }) => ({ namespace, attempts, status })),
    ).toEqual([
      { namespace: "livesim", attempts: 1, status: "filled" },
      { namespace: "paper", attempts: 1, status: "filled" },
    ]);
    for (const namespace of ["paper", "livesim"]) {
      const copies = fills(namespace, signalId);
      expect(copies.length).toBeGreaterThanOrEqual(1);
      expect(new Set(copies.map((copy) => copy.json.id)).size).toBe(1);
      // The whole event is the stored one (the journal's jsonb may reorder keys, nothing more).
      for (const copy of copies.slice(1)) expect(copy.json).toEqual(copies[0]?.json);
      // Nothing else for this signal on the namespace: no failure, no second order.
      expect(recorder.causedBy(`${namespace}.orders.failed`, signalId)).toHaveLength(0);
      expect(recorder.causedBy(`${namespace}.orders.submitted`, signalId)).toHaveLength(0);
    }
  }

  it("republishes the stored results with the same event ids when a copy arrives after the first was handled", async () => {
    const signal = validatedSignal({ strategyId, instrumentToken: token });
    const topic = `${namespace}.signals.validated`;
    await producer.send({ topic, messages: [asMessage(signal)] });
    await recorder.waitFor(
      () => fills("paper", signal.id).length === 1 && fills("livesim", signal.id).length === 1,
      30_000,
      "the first results",
    );
    const republishedBefore = (await engine.running.metrics.republished.get()).values.reduce(
      (sum, value) => sum + value.value,
      0,
    );

    await producer.send({ topic, messages: [asMessage(signal)] });
    await recorder.waitFor(
      () => fills("paper", signal.id).length === 2 && fills("livesim", signal.id).length === 2,
      30_000,
      "the results of the second copy",
    );

    await expectExecutedOnce(signal.id);
    const republishedAfter = (await engine.running.metrics.republished.get()).values.reduce(
      (sum, value) => sum + value.value,
      0,
    );
    expect(republishedAfter - republishedBefore).toBe(2);
  });

  it("executes once when both copies come in one send", async () => {
    const signal = validatedSignal({ strategyId, instrumentToken: token });
    await producer.send({
      topic: `${namespace}.signals.validated`,
      messages: [asMessage(signal), asMessage(signal)],
    });
    await recorder.waitFor(
      () => fills("paper", signal.id).length >= 1 && fills("livesim", signal.id).length >= 1,
      30_000,
      "results on both namespaces",
    );
    // If the copies were handled apart, the second one's republished results come now.
    await sleep(1_500);
    await expectExecutedOnce(signal.id);
  });

  it("executes each of several signals once when a batch repeats them all", async () => {
    const signals = [1, 2, 3].map(() => validatedSignal({ strategyId, instrumentToken: token }));
    const messages = signals.map(asMessage);
    await producer.send({
      topic: `${namespace}.signals.validated`,
      messages: [...messages, ...messages],
    });
    await recorder.waitFor(
      () =>
        signals.every(
          (signal) =>
            fills("paper", signal.id).length >= 1 && fills("livesim", signal.id).length >= 1,
        ),
      30_000,
      "results of every signal on both namespaces",
    );
    await sleep(1_500);
    for (const signal of signals) await expectExecutedOnce(signal.id);
  });
});
