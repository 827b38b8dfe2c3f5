import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import { baseEnv, startEngine, type TestEngine } from "./support/in-process-engine.js";
import { openProducer, openRecorder, type TopicRecorder, uniqueName } from "./support/kafka.js";
import { liveRecordFile, liveStandinEnv, readLiveRecord } from "./support/live-standin.js";
import { validatedSignal } from "./support/messages.js";
import {
  eventually,
  executionRows,
  httpGet,
  metricValue,
  primePrice,
  randomToken,
  resultsOf,
  resultTopics,
  sleep,
} from "./support/probes.js";
import { sendSignals } from "./support/signal-stream.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import { Teardown } from "./support/teardown.js";

/** Strategies first routed during the outage, one key (so one ordering lane) each. */
const STRATEGIES = ["outage_a", "outage_b", "outage_c", "outage_d", "outage_e", "outage_f"];

describe("a PostgreSQL outage holds signals and loses none", () => {
  const namespace = uniqueName("dbout");
  const token = randomToken();
  const teardown = new Teardown();
  const recordFile = liveRecordFile(teardown);
  let db: TestDatabase;
  let proxy: TcpProxy;
  let engine: TestEngine;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await openTestDatabase(teardown);
    const target = new URL(db.url);
    proxy = await new TcpProxy({
      host: target.hostname,
      port: Number(target.port || 5432),
    }).start();
    teardown.defer(() => proxy.stop());
    engine = await startEngine(
      teardown,
      baseEnv(proxy.urlFor(db.url), namespace, {
        ...liveStandinEnv(recordFile),
        // The outage is logged at every retry: expected here.
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "fatal",
      }),
    );
    // A test that failed mid-outage leaves the engine cut off: let it reach the database to stop.
    teardown.defer(() => proxy.unblock());
    recorder = await openRecorder(teardown, resultTopics(["paper", "livesim"]));
    producer = await openProducer(teardown);
    for (const id of ["outage_live", ...STRATEGIES])
      await putStrategy(db, { id, zerodhaTradingEnabled: true });
    await primePrice(engine, producer, token, 2210.1);
  });

  afterAll(() => teardown.run());

  it.each([
    // Fails fast: every attempt errors at once.
    ["refused", "refuse", 2_500],
    // A partition: attempts hang until the pool's 5 s connection timeout; last past it.
    ["unanswered", "hold", 6_500],
  ] as const)(
    "executes nothing while connections are %s, reports not ready, then executes every held signal exactly once",
    async (_how, mode, outageMs) => {
      // A fresh price for each case: one older than PRICE_MAX_AGE_MS is no price.
      await primePrice(engine, producer, token, 2210.1);
      // Before the outage: executed, and ready.
      const before = validatedSignal({ strategyId: "outage_live", instrumentToken: token });
      await sendSignals(producer, `${namespace}.signals.validated`, [before]);
      await recorder.waitFor(
        () =>
          resultsOf(recorder, before.id, "paper").length === 1 &&
          resultsOf(recorder, before.id, "livesim").length === 1,
        30_000,
        "results before the outage",
      );
      expect((await httpGet(engine, "/ready")).status).toBe(200);
      const retriesBefore = metricValue(
        (await httpGet(engine, "/metrics")).text,
        "engine_database_retries_total",
      );
      const ordersBefore = readLiveRecord(recordFile).length;

      proxy.block(mode);
      // Several keys, so several partitions are held.
      const held = STRATEGIES.map((strategyId) =>
        validatedSignal({ strategyId, instrumentToken: token }),
      );
      await sendSignals(producer, `${namespace}.signals.validated`, held);

      const notReady = await eventually(
        () => httpGet(engine, "/ready"),
        (response) => response.status === 503,
        "/ready to report the outage",
        15_000,
      );
      const readiness = JSON.parse(notReady.text) as {
        ready: boolean;
        checks: Record<string, { ok: boolean; reason?: string }>;
      };
      expect(readiness.ready).toBe(false);
      expect(readiness.checks.database?.ok).toBe(false);
      expect(readiness.checks.database?.reason).toBeTruthy();
      expect(readiness.checks.kafka?.ok).toBe(true);

      await sleep(outageMs);
      for (const signal of held) {
        expect(resultsOf(recorder, signal.id, "paper")).toEqual([]);
        expect(resultsOf(recorder, signal.id, "livesim")).toEqual([]);
      }
      expect(readLiveRecord(recordFile)).toHaveLength(ordersBefore);

      proxy.unblock();
      await recorder.waitFor(
        () =>
          held.every(
            (signal) =>
              resultsOf(recorder, signal.id, "paper").length >= 1 &&
              resultsOf(recorder, signal.id, "livesim").length >= 1,
          ),
        45_000,
        "a result on paper and livesim for every held signal",
      );
      await sleep(1_000);
      for (const signal of held) {
        expect(resultsOf(recorder, signal.id, "paper"), signal.id).toHaveLength(1);
        expect(resultsOf(recorder, signal.id, "livesim"), signal.id).toHaveLength(1);
        expect(recorder.causedBy("paper.orders.filled", signal.id)).toHaveLength(1);
        expect(recorder.causedBy("livesim.orders.filled", signal.id)).toHaveLength(1);
        expect(
          (await executionRows(db, signal.id)).map(({ namespace, attempts, status }) => ({
            namespace,
            attempts,
            status,
          })),
        ).toEqual([
          { namespace: "livesim", attempts: 1, status: "filled" },
          { namespace: "paper", attempts: 1, status: "filled" },
        ]);
      }
      const orders = readLiveRecord(recordFile);
      expect(orders).toHaveLength(ordersBefore + held.length);
      expect(new Set(orders.map((order) => order.signal_id)).size).toBe(orders.length);

      await eventually(
        () => httpGet(engine, "/ready"),
        (response) => response.status === 200,
        "/ready again after the outage",
        15_000,
      );
      const retriesAfter = metricValue(
        (await httpGet(engine, "/metrics")).text,
        "engine_database_retries_total",
      );
      expect(retriesAfter).toBeGreaterThan(retriesBefore);
    },
  );
});
