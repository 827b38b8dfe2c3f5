import type { KiteEmulator } from "@engine/kite-emulator";
import type { Admin, Producer } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { baseEnv, type TestEngine } from "./support/in-process-engine.js";
import { connectProducer, TopicRecorder, uniqueName } from "./support/kafka.js";
import { sleep } from "./support/probes.js";
import { connectAdmin, produceStream, signalSeries } from "./support/signal-stream.js";
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

const SIGNALS = 250;
const ACCESS_TOKEN = "zdambiguous_token";
// Above Kite's 10/s so the stream is not throttled to 25 s; the client stays below the emulator.
const CLIENT_ORDERS_PER_SECOND = 40;
const KITE_ORDERS_PER_SECOND = 50;

describe("zerodha: Kite accepts the order but the answer never comes", () => {
  const namespace = uniqueName("zdambig");
  const signalTopic = `${namespace}.signals.validated`;
  const strategyId = "zd_ambiguous";
  const tokens = NSE_EQUITIES.map((row) => row.token);
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
      ordersPerSecond: KITE_ORDERS_PER_SECOND,
      ordersPerMinute: 3_000,
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
          KITE_TIMEOUT_MS: "500",
          ZERODHA_RECONCILE_DELAY_MS: "200",
          ZERODHA_ORDERS_PER_SECOND: String(CLIENT_ORDERS_PER_SECOND),
          ZERODHA_ORDERS_PER_MINUTE: "3000",
          ZERODHA_REQUESTS_PER_SECOND: "200",
        }),
      ),
    );
    await putZerodhaStrategy(sql, strategyId);
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

  it("places exactly one order per signal when 10% of placements time out after Kite accepted them, and every signal ends filled once", async () => {
    const { signals } = signalSeries(strategyId, tokens, SIGNALS);
    ids = signals.map((signal) => signal.id);
    emulator.setFaults({ timeoutAfterAccept: { probability: 0.1, mode: "hang" } });

    await produceStream(producer, signalTopic, signals, { durationMs: 10_000, chunk: 10 });
    await ledger.waitForEnds(ids, 120_000);
    emulator.clearFaults();
    // Anything still to come (a second order, a second end) would come within this.
    await sleep(1_000);

    const stats = emulator.stats();
    const timedOut = stats.faultsInjected.timeoutAfterAccept ?? 0;
    process.stdout.write(
      `zerodha-ambiguous-placement: ${timedOut} of ${stats.placementRequests} placements timed out after acceptance; ${stats.requestsByPath["GET /orders"] ?? 0} order-book lookups; peak ${stats.maxPlacementsInAnySecond} placements/s\n`,
    );
    // The fault really fired, and each one was reconciled by a look at the order book.
    expect(timedOut).toBeGreaterThan(0);
    expect(stats.requestsByPath["GET /orders"] ?? 0).toBeGreaterThanOrEqual(timedOut);
    // One order per signal at Kite, one order_placed naming it, one order_filled, one paper result.
    expect(ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
    expect(stats.placements).toBe(SIGNALS);
    expect(stats.ordersByStatus).toEqual({ COMPLETE: SIGNALS });
  });
});
