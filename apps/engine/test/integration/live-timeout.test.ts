import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import { baseEnv, startEngine } from "./support/in-process-engine.js";
import { openProducer, openRecorder, type TopicRecorder, uniqueName } from "./support/kafka.js";
import { liveRecordFile, liveStandinEnv, readLiveRecord } from "./support/live-standin.js";
import { validatedSignal } from "./support/messages.js";
import { sendSignals } from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";

describe("a live broker slower than the execution timeout", () => {
  const namespace = uniqueName("it");
  const teardown = new Teardown();
  const recordFile = liveRecordFile(teardown);
  let db: TestDatabase;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await openTestDatabase(teardown);
    await startEngine(
      teardown,
      baseEnv(db.url, namespace, {
        ...liveStandinEnv(recordFile),
        LIVESIM_DELAY_MS: "1500",
        EXECUTION_TIMEOUT_MS: "300",
      }),
    );
    producer = await openProducer(teardown);
    recorder = await openRecorder(teardown, [
      "paper.orders.failed",
      "livesim.orders.filled",
      "livesim.orders.failed",
    ]);
  });

  afterAll(() => teardown.run());

  it("does not hold back paper, and reports the live order's real outcome, once", async () => {
    await putStrategy(db, { id: "slow_live", zerodhaTradingEnabled: true });
    // No tick was seen: paper answers at once (NO_MARKET_PRICE) while the live broker takes 1.5 s.
    const signal = validatedSignal({ strategyId: "slow_live", instrumentToken: 424242 });
    await sendSignals(producer, `${namespace}.signals.validated`, [signal]);

    await recorder.waitForResults(signal.id, ["paper.orders.failed"], 20_000, "the paper result");
    expect(recorder.causedBy("livesim.orders.filled", signal.id)).toHaveLength(0);

    await recorder.waitForResults(
      signal.id,
      ["livesim.orders.filled"],
      20_000,
      "the live fill after the timeout",
    );
    // The timeout did not become a TRADER_UNAVAILABLE that the broker's fill contradicts.
    expect(recorder.causedBy("livesim.orders.failed", signal.id)).toHaveLength(0);
    expect(readLiveRecord(recordFile).filter((o) => o.signal_id === signal.id)).toHaveLength(1);
    const rows = await db.query<{ status: string; attempts: number }>(
      "select status, attempts from engine_execution_journal where signal_id = $1 and namespace = 'livesim'",
      [signal.id],
    );
    expect(rows).toEqual([{ status: "filled", attempts: 1 }]);
  });
});
