import { OrderFailedEventSchema } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { orderTag } from "@engine/trader-zerodha";
import type { Admin, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { baseEnv, type TestEngine } from "./support/in-process-engine.js";
import { connectProducer, TopicRecorder, uniqueName } from "./support/kafka.js";
import { asMessage, validatedSignal } from "./support/messages.js";
import { eventually, httpGet } from "./support/probes.js";
import { connectAdmin } from "./support/signal-stream.js";
import {
  accessTokenFile,
  connectSql,
  PAPER_RESULT_TOPICS,
  prepareSignals,
  primePrices,
  putZerodhaStrategy,
  startKiteEmulator,
  startZerodhaEngine,
  type TestSql,
  type TokenFile,
  ZERODHA_RESULT_TOPICS,
  zerodhaVariables,
} from "./support/zerodha-harness.js";
import { ZerodhaLedger } from "./support/zerodha-outcomes.js";

const RELIANCE = 738561;
const TODAYS_TOKEN = "zdexpiry_token_day_one";
const NEXT_TOKEN = "zdexpiry_token_day_two";

interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; reason?: string }>;
}

describe("zerodha: an expired access token, then a rotated one", () => {
  const namespace = uniqueName("zdexpiry");
  const signalTopic = `${namespace}.signals.validated`;
  const strategyId = "zd_expiry";
  let emulator: KiteEmulator;
  let tokenFile: TokenFile;
  let db: TestDatabase;
  let sql: TestSql;
  let engine: TestEngine;
  let producer: Producer;
  let admin: Admin;
  let recorder: TopicRecorder;
  let ledger: ZerodhaLedger;

  beforeAll(async () => {
    emulator = await startKiteEmulator({ accessToken: TODAYS_TOKEN, fillDelayMs: 50 });
    tokenFile = await accessTokenFile(TODAYS_TOKEN);
    db = await createTestDatabase();
    sql = await connectSql(db.url);
    admin = await connectAdmin();
    await prepareSignals(admin, signalTopic, `it-${namespace}`);
    engine = await startZerodhaEngine(
      baseEnv(
        db.url,
        namespace,
        zerodhaVariables(emulator.url, { KITE_ACCESS_TOKEN_FILE: tokenFile.path }),
      ),
    );
    await putZerodhaStrategy(sql, strategyId);
    producer = await connectProducer();
    recorder = await new TopicRecorder([...ZERODHA_RESULT_TOPICS, ...PAPER_RESULT_TOPICS]).start();
    ledger = new ZerodhaLedger(recorder);
    await primePrices(engine, producer, [RELIANCE]);
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await engine?.stop();
    await emulator?.stop();
    await sql?.close();
    await db?.drop();
    tokenFile?.remove();
  });

  async function sendSignal(): Promise<string> {
    const signal = validatedSignal({ strategyId, instrumentToken: RELIANCE, quantity: 4 });
    await producer.send({ topic: signalTopic, acks: -1, messages: [asMessage(signal)] });
    await ledger.waitForEnds([signal.id], 30_000);
    return signal.id;
  }

  async function readiness(): Promise<{ status: number; body: Readiness }> {
    const response = await httpGet(engine, "/ready");
    return { status: response.status, body: JSON.parse(response.text) as Readiness };
  }

  function expectTraderUnavailable(signalId: string): void {
    const outcome = ledger.of(signalId);
    expect(outcome.placed).toHaveLength(0);
    expect(outcome.filled).toHaveLength(0);
    expect(outcome.failed).toHaveLength(1);
    const failed = OrderFailedEventSchema.parse(outcome.failed[0]?.json);
    expect(failed).toMatchObject({
      broker: "zerodha",
      causation_id: signalId,
      data: { error_code: "TRADER_UNAVAILABLE", order_id: "N/A", execution_mode: "zerodha" },
    });
    // No order exists at Kite for it, and paper traded it all the same.
    expect(emulator.stats().ordersByTag[orderTag(signalId)]).toBeUndefined();
    expect(outcome.paper.map((m) => m.topic)).toEqual(["paper.orders.filled"]);
  }

  it("fills on zerodha while the token is valid, and /ready is 200", async () => {
    const id = await sendSignal();
    expect(ledger.problems([id], emulator, { end: "filled" })).toEqual([]);
    expect((await readiness()).status).toBe(200);
  });

  it("fails zerodha with TRADER_UNAVAILABLE once Kite rejects the token, while paper still fills, and /ready names trader:zerodha", async () => {
    // 06:00 IST: the day's token stops working.
    emulator.expireToken();
    const first = await sendSignal();
    expectTraderUnavailable(first);

    const notReady = await eventually(
      readiness,
      (r) => r.status === 503,
      "/ready to answer 503",
      15_000,
    );
    expect(notReady.body.ready).toBe(false);
    expect(notReady.body.checks["trader:zerodha"]?.ok).toBe(false);
    expect(notReady.body.checks["trader:zerodha"]?.reason).toMatch(/token/i);
    expect(notReady.body.checks["trader:paper"]).toEqual({ ok: true });
    expect(notReady.body.checks.kafka).toEqual({ ok: true });

    // A new token exists at Kite, but the engine has not been given it: still unavailable, and
    // the signal costs no placement request.
    emulator.setAccessToken(NEXT_TOKEN);
    const placementsBefore = emulator.stats().placementRequests;
    const second = await sendSignal();
    expectTraderUnavailable(second);
    expect(emulator.stats().placementRequests).toBe(placementsBefore);
    expect((await readiness()).status).toBe(503);
  });

  it("places and fills again after the new token is written to KITE_ACCESS_TOKEN_FILE, without a restart", async () => {
    await tokenFile.write(NEXT_TOKEN);
    const ready = await eventually(
      readiness,
      (r) => r.status === 200,
      "/ready to answer 200 after the rotation",
      30_000,
    );
    expect(ready.body.checks["trader:zerodha"]).toEqual({ ok: true });

    const id = await sendSignal();
    expect(ledger.problems([id], emulator, { end: "filled" })).toEqual([]);
  });
});
