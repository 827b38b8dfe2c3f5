import { describe, expect } from "vitest";
import { putStrategy } from "./test-support/database.js";
import { benchTest, FILE_SCOPE, openFileBench } from "./test-support/fixtures.js";
import { kafka } from "./test-support/kafka.js";
import { liveRecordFile, liveStandinEnv, readLiveRecord } from "./test-support/live-standin.js";
import { asMessage, validatedSignal } from "./test-support/messages.js";
import {
  executionRows,
  primePrice,
  resultsOf,
  resultTopics,
  sendOne,
  signalGroupOf,
  sleep,
  waitForCommit,
} from "./test-support/probes.js";

const SHADOW = "shadow.";
const strategyId = "shadow_live";

const it = benchTest
  .extend("options", FILE_SCOPE, {
    label: "shd",
    recorded: resultTopics(["paper", "livesim"], SHADOW),
  })
  .extend("shadow", FILE_SCOPE, ({ startEngine }) => startEngine({ ENGINE_MODE: "shadow" }))
  // After the shadow engine, so the prefixed topics it is checked for are its own creation.
  .extend("bench", FILE_SCOPE, ({ options, teardown, site, db, shadow: _first }) =>
    openFileBench({ partitions: 0, ...options }, teardown, site, db),
  )
  .extend("primed", { scope: "file", auto: true }, async ({ shadow, bench, token }) => {
    await putStrategy(bench.db, { id: strategyId, zerodhaTradingEnabled: true });
    await primePrice(shadow, bench.producer, token, 512.4);
  });

describe("ENGINE_MODE=shadow simulates live namespaces and writes only under the shadow prefix", () => {
  it("executes a live namespace with the paper simulator and publishes only to shadow.* topics", async ({
    token,
    recordFile,
    shadow,
    bench: { db, producer, recorder },
  }) => {
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
    expect(readLiveRecord(recordFile)).toEqual([]);

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

  it("creates its output and dead-letter topics under the prefix", async ({
    shadow,
    site: { namespace },
  }) => {
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

  it("consumes in a group of its own: beside a normal engine on the same input and database, each executes the signal once", async ({
    token,
    recordFile,
    startEngine,
    teardown,
    shadow,
    bench: { db, producer, recorder },
  }) => {
    const normalRecord = liveRecordFile(teardown);
    const normal = await startEngine(liveStandinEnv(normalRecord));
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
    expect(readLiveRecord(recordFile)).toEqual([]);
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
