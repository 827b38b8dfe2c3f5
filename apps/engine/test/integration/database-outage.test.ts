import { describe, expect } from "vitest";
import { putStrategy } from "./test-support/database.js";
import { benchTest, FILE_SCOPE } from "./test-support/fixtures.js";
import { readLiveRecord } from "./test-support/live-standin.js";
import { validatedSignal } from "./test-support/messages.js";
import {
  eventually,
  executionRows,
  httpGet,
  metricValue,
  primePrice,
  resultsOf,
  sleep,
} from "./test-support/probes.js";
import { sendSignals } from "./test-support/signal-stream.js";
import { TcpProxy } from "./test-support/tcp-proxy.js";

/** Strategies first routed during the outage, one key (so one ordering lane) each. */
const STRATEGIES = ["outage_a", "outage_b", "outage_c", "outage_d", "outage_e", "outage_f"];

const it = benchTest
  .extend("options", FILE_SCOPE, {
    label: "dbout",
    // The outage is logged at every retry: expected here.
    env: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "fatal" },
  })
  /** Between the engine and the database, to cut it off. */
  .extend("proxy", FILE_SCOPE, async ({ db, teardown }) => {
    const target = new URL(db.url);
    const proxy = await new TcpProxy({
      host: target.hostname,
      port: Number(target.port || 5432),
    }).start();
    teardown.defer(() => proxy.stop());
    return proxy;
  })
  .extend(
    "engine",
    { scope: "file", auto: true },
    async ({ startEngine, proxy, teardown, bench, token }) => {
      const engine = await startEngine({}, { databaseUrl: proxy.urlFor(bench.db.url) });
      // A test that failed mid-outage leaves the engine cut off: let it reach the database to stop.
      teardown.defer(() => proxy.unblock());
      for (const id of ["outage_live", ...STRATEGIES])
        await putStrategy(bench.db, { id, zerodhaTradingEnabled: true });
      await primePrice(engine, bench.producer, token, 2210.1);
      return engine;
    },
  );

describe("a PostgreSQL outage holds signals and loses none", () => {
  it.for([
    // Fails fast: every attempt errors at once.
    ["refused", "refuse", 2_500],
    // A partition: attempts hang until the pool's 5 s connection timeout; last past it.
    ["unanswered", "hold", 6_500],
  ] as const)(
    "executes nothing while connections are %s, reports not ready, then executes every held signal exactly once",
    async ([, mode, outageMs], {
      engine,
      token,
      recordFile,
      proxy,
      bench: { db, producer, recorder },
      site: { signalTopic },
    }) => {
      // A fresh price for each case: one older than PRICE_MAX_AGE_MS is no price.
      await primePrice(engine, producer, token, 2210.1);
      // Before the outage: executed, and ready.
      const before = validatedSignal({ strategyId: "outage_live", instrumentToken: token });
      await sendSignals(producer, signalTopic, [before]);
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
      await sendSignals(producer, signalTopic, held);

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
