import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain-JS fixture, shared with engines spawned as processes
import { readRecord } from "../fixtures/live-standin-plugin.mjs";
import { createTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import { baseEnv, startEngine, type TestEngine } from "./support/in-process-engine.js";
import { connectProducer, TopicRecorder, uniqueName } from "./support/kafka.js";
import { asMessage, validatedSignal } from "./support/messages.js";

describe("a live broker slower than the execution timeout", () => {
  const namespace = uniqueName("it");
  const dir = mkdtempSync(join(tmpdir(), "livesim-"));
  const recordFile = join(dir, "orders.jsonl");
  let db: TestDatabase;
  let engine: TestEngine;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngine(
      baseEnv(db.url, namespace, {
        LIVESIM_ENABLED: "true",
        LIVESIM_RECORD_FILE: recordFile,
        LIVESIM_DELAY_MS: "1500",
        EXECUTION_TIMEOUT_MS: "300",
      }),
    );
    producer = await connectProducer();
    recorder = await new TopicRecorder([
      "paper.orders.failed",
      "livesim.orders.filled",
      "livesim.orders.failed",
    ]).start();
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await engine?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("does not hold back paper, and reports the live order's real outcome, once", async () => {
    await putStrategy(db, { id: "slow_live", zerodhaTradingEnabled: true });
    // No tick was seen: paper answers at once (NO_MARKET_PRICE) while the live broker takes 1.5 s.
    const signal = validatedSignal({ strategyId: "slow_live", instrumentToken: 424242 });
    await producer.send({ topic: `${namespace}.signals.validated`, messages: [asMessage(signal)] });

    await recorder.waitFor(
      () => recorder.causedBy("paper.orders.failed", signal.id).length === 1,
      20_000,
      "the paper result",
    );
    expect(recorder.causedBy("livesim.orders.filled", signal.id)).toHaveLength(0);

    await recorder.waitFor(
      () => recorder.causedBy("livesim.orders.filled", signal.id).length === 1,
      20_000,
      "the live fill after the timeout",
    );
    // The timeout did not become a TRADER_UNAVAILABLE that the broker's fill contradicts.
    expect(recorder.causedBy("livesim.orders.failed", signal.id)).toHaveLength(0);
    expect(
      readRecord(recordFile).filter((o: { signal_id: string }) => o.signal_id === signal.id),
    ).toHaveLength(1);
    const rows = await db.query<{ status: string; attempts: number }>(
      "select status, attempts from engine_execution_journal where signal_id = $1 and namespace = 'livesim'",
      [signal.id],
    );
    expect(rows).toEqual([{ status: "completed", attempts: 1 }]);
  });
});
