import type { KiteEmulator } from "@engine/kite-emulator";
import type { Admin, Producer } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { baseEnv, type TestEngine } from "./support/in-process-engine.js";
import { connectProducer, TopicRecorder, uniqueName } from "./support/kafka.js";
import { asMessage, validatedSignal } from "./support/messages.js";
import { sleep } from "./support/probes.js";
import { connectAdmin } from "./support/signal-stream.js";
import {
  connectSql,
  NSE_EQUITIES,
  PAPER_RESULT_TOPICS,
  prepareSignals,
  primePrices,
  putZerodhaStrategy,
  startKiteEmulator,
  startZerodhaEngine,
  type TestSql,
  ZERODHA_RESULT_TOPICS,
  zerodhaVariables,
} from "./support/zerodha-harness.js";
import { ZerodhaLedger } from "./support/zerodha-outcomes.js";

const ACCESS_TOKEN = "zdrate_token";
/** Kite's own limit, which the emulator enforces too. */
const ORDERS_PER_SECOND = 10;
const STRATEGIES = 4;
const TOKENS = 10;

describe("zerodha: a burst of signals against Kite's order rate limit", () => {
  const namespace = uniqueName("zdrate");
  const signalTopic = `${namespace}.signals.validated`;
  const strategyIds = Array.from({ length: STRATEGIES }, (_, i) => `zd_rate_${i}`);
  const tokens = NSE_EQUITIES.slice(0, TOKENS).map((row) => row.token);
  let emulator: KiteEmulator;
  let db: TestDatabase;
  let sql: TestSql;
  let engine: TestEngine;
  let producer: Producer;
  let admin: Admin;
  let recorder: TopicRecorder;
  let ledger: ZerodhaLedger;
  let ids: string[] = [];

  beforeAll(async () => {
    emulator = await startKiteEmulator({
      accessToken: ACCESS_TOKEN,
      fillDelayMs: 50,
      ordersPerSecond: ORDERS_PER_SECOND,
    });
    db = await createTestDatabase();
    sql = await connectSql(db.url);
    admin = await connectAdmin();
    await prepareSignals(admin, signalTopic, `it-${namespace}`);
    engine = await startZerodhaEngine(
      baseEnv(
        db.url,
        namespace,
        zerodhaVariables(emulator.url, {
          KITE_ACCESS_TOKEN: ACCESS_TOKEN,
          KITE_TIMEOUT_MS: "2000",
          ZERODHA_ORDERS_PER_SECOND: String(ORDERS_PER_SECOND),
        }),
      ),
    );
    for (const id of strategyIds) await putZerodhaStrategy(sql, id);
    producer = await connectProducer();
    recorder = await new TopicRecorder([...ZERODHA_RESULT_TOPICS, ...PAPER_RESULT_TOPICS]).start();
    ledger = new ZerodhaLedger(recorder);
    await primePrices(engine, producer, tokens);
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail") {
      process.stderr.write(
        `\nemulator stats: ${JSON.stringify(emulator?.stats())}\nproblems: ${ledger
          ?.problems(ids, emulator)
          .slice(0, 30)
          .join("\n  ")}\n`,
      );
    }
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await engine?.stop();
    await emulator?.stop();
    await sql?.close();
    await db?.drop();
  });

  it("queues a burst of 40 signals on distinct keys so Kite never sees more than ZERODHA_ORDERS_PER_SECOND placements in a second, and fills them all", async () => {
    // Distinct keys: nothing in the engine orders them one after another, only the rate limiter.
    const signals = strategyIds.flatMap((strategyId) =>
      tokens.map((token, i) =>
        validatedSignal({
          strategyId,
          instrumentToken: token,
          signalType: i % 2 === 0 ? "BUY" : "SELL",
          quantity: 1 + i,
        }),
      ),
    );
    ids = signals.map((signal) => signal.id);
    await producer.send({ topic: signalTopic, acks: -1, messages: signals.map(asMessage) });
    await ledger.waitForEnds(ids, 90_000);
    await sleep(500);

    const stats = emulator.stats();
    process.stdout.write(
      `zerodha-rate-limit: ${stats.placementRequests} placements, peak ${stats.maxPlacementsInAnySecond} in a second, ${stats.rateLimited} refused\n`,
    );
    expect(stats.maxPlacementsInAnySecond).toBeLessThanOrEqual(ORDERS_PER_SECOND);
    // Kite never had to refuse one, and none was sent twice.
    expect(stats.rateLimited).toBe(0);
    expect(stats.placementRequests).toBe(signals.length);
    expect(ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
  });
});
