import { SUBMIT_ONLY, type Trader } from "@engine/core";
import { PaperTrader, paperPlugin } from "@engine/trader-paper";
import type { Producer } from "kafkajs";
import { describe, expect } from "vitest";
import { z } from "zod";
import type { AnyTraderPlugin } from "../../src/app/plugins.js";
import { FILE_SCOPE, inProcessTest } from "./test-support/fixtures.js";
import { baseEnv, startEngine, type TestEngine } from "./test-support/in-process-engine.js";
import { kafka, TopicRecorder, uniqueName } from "./test-support/kafka.js";
import { LIVE_STANDIN_PLUGIN } from "./test-support/live-standin.js";
import { asMessage, validatedSignal } from "./test-support/messages.js";
import {
  eventually,
  httpGet,
  metricValue,
  primePrice,
  resultsOf,
  resultTopics,
} from "./test-support/probes.js";
import { sendSignals } from "./test-support/signal-stream.js";

const EXECUTION_TIMEOUT_MS = 1_000;

/** A non-live plugin (it takes every signal) building the trader `build` returns. */
function scriptedPlugin(
  namespace: string,
  build: (namespace: string) => Trader,
  enabled = true,
): AnyTraderPlugin {
  return {
    namespace,
    live: false,
    settingsSchema: z.object({}).transform(() => ({ enabled })),
    enabledFor: () => true,
    create: ({ namespace: ns }) => build(ns),
  };
}

/** A trader whose initialisation says it cannot trade. */
function brokenTrader(namespace: string): Trader {
  return {
    executionMode: namespace,
    capabilities: SUBMIT_ONLY,
    health: () => ({ status: "unavailable", reason: "never initialised" }),
    initialize: async () => false,
    shutdown: async () => {},
    executeOrder: async () => {
      throw new Error("an uninitialised trader was asked to trade");
    },
  };
}

/** A paper trader that throws for one strategy and never answers for another. */
function faultyTrader(namespace: string): Trader {
  const paper = new PaperTrader({ namespace });
  return {
    executionMode: namespace,
    capabilities: SUBMIT_ONLY,
    health: () => paper.health(),
    initialize: () => paper.initialize(),
    shutdown: () => paper.shutdown(),
    executeOrder: async (signal, price, context) => {
      const strategy = signal.data.original_signal.strategy_id;
      if (strategy === "ops_throws") throw new Error("broker client exploded");
      if (strategy === "ops_hangs") return new Promise(() => {});
      return paper.executeOrder(signal, price, context);
    },
  };
}

const it = inProcessTest.extend("options", FILE_SCOPE, {
  label: "ops",
  env: { KAFKA_TOPIC_PARTITIONS: "2", LOG_LEVEL: "error" },
  strategies: [{ id: "ops_live", zerodhaTradingEnabled: true }],
  price: 47.25,
});

describe("operating the engine: topics, HTTP endpoints, metrics and failing traders", () => {
  const brokenNamespace = uniqueName("opsbroken");
  const faultyNamespace = uniqueName("opsfaulty");
  const disabledNamespace = uniqueName("opsoff");
  /** paper, livesim and the failing traders, on an input namespace of its own. */
  let custom: TestEngine | undefined;
  /** Replaced by the tests with failing traders: stopped here, before the file's teardown. */
  let recorder: TopicRecorder;

  it.afterAll(async () => {
    await recorder?.stop();
  });

  it("creates the topics it consumes and writes at start, with KAFKA_TOPIC_PARTITIONS partitions", async ({
    site: { namespace },
  }) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = new Set(await admin.listTopics());
      const wanted = [
        `${namespace}.signals.validated`,
        `${namespace}.signals.validated.dlq`,
        "market.ticks",
        "market.ticks.dlq",
        ...resultTopics("paper"),
        ...resultTopics("livesim"),
      ];
      for (const topic of wanted) expect(topics, topic).toContain(topic);
      const metadata = await admin.fetchTopicMetadata({
        topics: [`${namespace}.signals.validated`, `${namespace}.signals.validated.dlq`],
      });
      for (const topic of metadata.topics) expect(topic.partitions, topic.name).toHaveLength(2);
    } finally {
      await admin.disconnect();
    }
  });

  it("answers /health, and /ready with every check passing", async ({ engine }) => {
    const health = await httpGet(engine, "/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: "ok" });

    const ready = await httpGet(engine, "/ready");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({
      ready: true,
      checks: {
        kafka: { ok: true },
        database: { ok: true },
        controls: { ok: true },
        "trader:paper": { ok: true },
        "trader:livesim": { ok: true },
      },
    });
  });

  it("exposes Prometheus metrics of signals, results, latency, ticks, dead letters and lag after traffic", async ({
    engine,
    token,
    bench: { producer },
    site: { namespace },
  }) => {
    recorder = await new TopicRecorder([
      ...resultTopics(["paper", "livesim"]),
      `${namespace}.signals.validated.dlq`,
    ]).start();
    const signal = validatedSignal({ strategyId: "ops_live", instrumentToken: token });
    const hold = validatedSignal({
      strategyId: "ops_live",
      instrumentToken: token,
      signalType: "HOLD",
    });
    await producer.send({
      topic: `${namespace}.signals.validated`,
      messages: [
        asMessage(signal),
        asMessage(hold),
        { key: "ops_live:bad", value: "not json at all" },
      ],
    });
    await recorder.waitFor(
      () =>
        recorder.causedBy("paper.orders.filled", signal.id).length === 1 &&
        recorder.causedBy("livesim.orders.filled", signal.id).length === 1 &&
        recorder.messages.some((m) => m.topic === `${namespace}.signals.validated.dlq`),
      30_000,
      "fills and a dead letter",
    );

    const metrics = await eventually(
      () => httpGet(engine, "/metrics"),
      ({ text }) => text.includes("engine_consumer_lag{"),
      "engine_consumer_lag after a batch",
      10_000,
    );
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toMatch(/^text\/plain/);
    const { text } = metrics;
    for (const name of [
      "engine_signals_total",
      "engine_results_total",
      "engine_execution_seconds",
      "engine_ticks_total",
      "engine_dead_letters_total",
      "engine_consumer_lag",
    ]) {
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
    }
    expect(text).toMatch(/^# TYPE engine_execution_seconds histogram$/m);
    expect(
      metricValue(text, "engine_signals_total", { disposition: "routed" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(text, "engine_signals_total", { disposition: "hold" }),
    ).toBeGreaterThanOrEqual(1);
    for (const ns of ["paper", "livesim"]) {
      expect(
        metricValue(text, "engine_results_total", {
          namespace: ns,
          outcome: "filled",
          error_code: "",
        }),
        ns,
      ).toBeGreaterThanOrEqual(1);
      expect(
        metricValue(text, "engine_execution_seconds_count", { namespace: ns }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        metricValue(text, "engine_execution_seconds_bucket", { namespace: ns, le: "+Inf" }),
      ).toBeGreaterThanOrEqual(1);
      expect(metricValue(text, "engine_execution_seconds_sum", { namespace: ns })).toBeGreaterThan(
        0,
      );
    }
    expect(metricValue(text, "engine_ticks_total")).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(text, "engine_dead_letters_total", { topic: `${namespace}.signals.validated` }),
    ).toBe(1);
    expect(text).toMatch(
      new RegExp(
        `^engine_consumer_lag\\{topic="${namespace}\\.signals\\.validated",partition="\\d+"\\} \\d+$`,
        "m",
      ),
    );
  });

  describe("with traders that fail", () => {
    let token = 0;
    let producer: Producer;

    it.beforeAll(async ({ teardown, bench, token: fileToken }) => {
      ({ producer } = bench);
      token = fileToken;
      const { db } = bench;
      const customNamespace = uniqueName("opsx");
      custom = await startEngine(
        teardown,
        baseEnv(db.url, customNamespace, {
          EXECUTION_TIMEOUT_MS: String(EXECUTION_TIMEOUT_MS),
          // The failures below are logged as errors: expected here.
          LOG_LEVEL: "fatal",
        }),
        {
          plugins: [
            paperPlugin,
            LIVE_STANDIN_PLUGIN,
            scriptedPlugin(brokenNamespace, brokenTrader),
            scriptedPlugin(faultyNamespace, faultyTrader),
            scriptedPlugin(disabledNamespace, brokenTrader, false),
          ],
        },
      );
      await recorder.stop();
      recorder = await new TopicRecorder(
        resultTopics(["paper", brokenNamespace, faultyNamespace]),
      ).start();
      await primePrice(custom, producer, token, 47.25);
    });

    const customEngine = (): TestEngine => {
      if (!custom) throw new Error("the engine with failing traders did not start");
      return custom;
    };

    async function send(strategyId: string) {
      const signal = validatedSignal({ strategyId, instrumentToken: token });
      await sendSignals(producer, customEngine().running.topics.signals, [signal]);
      return signal;
    }

    const failureOf = (signalId: string, ns: string) =>
      recorder.causedBy(`${ns}.orders.failed`, signalId)[0]?.json.data;

    it("creates output topics for enabled namespaces only", async () => {
      const admin = kafka.admin();
      await admin.connect();
      const topics = new Set(await admin.listTopics());
      await admin.disconnect();
      for (const topic of [...resultTopics(brokenNamespace), ...resultTopics(faultyNamespace)])
        expect(topics, topic).toContain(topic);
      for (const topic of resultTopics(disabledNamespace))
        expect(topics, topic).not.toContain(topic);
      expect(customEngine().running.namespaces).toEqual([
        "paper",
        brokenNamespace,
        faultyNamespace,
      ]);
    });

    it("fails every signal on a namespace whose trader did not initialise with TRADER_UNAVAILABLE, leaving paper unaffected, and reports it in /ready", async () => {
      const signal = await send("ops_any");
      await recorder.waitForResults(
        signal.id,
        [
          "paper.orders.filled",
          `${brokenNamespace}.orders.failed`,
          `${faultyNamespace}.orders.filled`,
        ],
        30_000,
        "paper and faulty fills, broken failure",
      );
      expect(failureOf(signal.id, brokenNamespace)).toMatchObject({
        error_code: "TRADER_UNAVAILABLE",
        order_id: "N/A",
        execution_mode: brokenNamespace,
      });
      expect(resultsOf(recorder, signal.id, brokenNamespace)).toHaveLength(1);

      const ready = await httpGet(customEngine(), "/ready");
      expect(ready.status).toBe(503);
      const body = JSON.parse(ready.text) as {
        ready: boolean;
        checks: Record<string, { ok: boolean; reason?: string }>;
      };
      expect(body.ready).toBe(false);
      expect(body.checks[`trader:${brokenNamespace}`]).toEqual({
        ok: false,
        reason: expect.stringMatching(/initialise returned false/),
      });
      expect(body.checks["trader:paper"]).toEqual({ ok: true });
      expect(body.checks[`trader:${faultyNamespace}`]).toEqual({ ok: true });
      expect(body.checks.database).toEqual({ ok: true });
      expect(body.checks.kafka).toEqual({ ok: true });

      const metrics = (await httpGet(customEngine(), "/metrics")).text;
      expect(
        metricValue(metrics, "engine_results_total", {
          namespace: brokenNamespace,
          outcome: "failed",
          error_code: "TRADER_UNAVAILABLE",
        }),
      ).toBe(1);
    });

    it("fails a signal with TRADER_UNAVAILABLE when the trader throws, other namespaces unaffected", async () => {
      const signal = await send("ops_throws");
      await recorder.waitForResults(
        signal.id,
        [`${faultyNamespace}.orders.failed`, "paper.orders.filled"],
        30_000,
        "the faulty namespace's failure and the paper fill",
      );
      expect(failureOf(signal.id, faultyNamespace)).toMatchObject({
        error_code: "TRADER_UNAVAILABLE",
        error_message: expect.stringMatching(/broker client exploded/),
      });
      expect(resultsOf(recorder, signal.id, faultyNamespace)).toHaveLength(1);
    });

    it("fails a signal with TRADER_UNAVAILABLE when the trader does not answer within EXECUTION_TIMEOUT_MS", async () => {
      const signal = await send("ops_hangs");
      const sentAt = Date.now();
      await recorder.waitForResults(
        signal.id,
        [`${faultyNamespace}.orders.failed`],
        30_000,
        "the timeout failure",
      );
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(EXECUTION_TIMEOUT_MS - 50);
      expect(failureOf(signal.id, faultyNamespace)).toMatchObject({
        error_code: "TRADER_UNAVAILABLE",
        error_message: expect.stringMatching(new RegExp(`${EXECUTION_TIMEOUT_MS} ms`)),
      });
      await recorder.waitForResults(
        signal.id,
        ["paper.orders.filled"],
        30_000,
        "the paper fill beside the hanging trader",
      );
    });
  });
});
