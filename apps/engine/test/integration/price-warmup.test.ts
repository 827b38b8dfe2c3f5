import { paperPlugin } from "@engine/trader-paper";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bench, openBench } from "./support/bench.js";
import { putStrategy } from "./support/database.js";
import { signalGroupId } from "./support/engine-process.js";
import { baseEnv, startEngine, type TestEngine } from "./support/in-process-engine.js";
import { uniqueName } from "./support/kafka.js";
import { asMessage, marketTick, validatedSignal } from "./support/messages.js";
import { randomToken, resultsOf, resultTopics } from "./support/probes.js";
import {
  ensureTopic,
  eventually,
  openAdmin,
  prepareSignalTopic,
  sendSignals,
} from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";

const STRATEGY = "warm_strategy";

describe("prices at start and prices that aged", () => {
  const teardown = new Teardown();
  let bench: Bench;

  beforeAll(async () => {
    bench = await openBench(teardown, resultTopics("paper"));
  });

  afterAll(() => teardown.run());

  /** A tick topic of its own, so the ticks an engine applied are this test's. */
  async function tickTopic(): Promise<string> {
    const topic = uniqueName("it.ticks.");
    await ensureTopic(await openAdmin(teardown), topic, 3);
    return topic;
  }

  /** An engine on a namespace of its own, its signals group committed at the topic's start. */
  async function engineOn(namespace: string, ticks: string, extra: Record<string, string> = {}) {
    const env = baseEnv(bench.db.url, namespace, {
      LOG_LEVEL: "error",
      MARKET_TICKS_TOPIC: ticks,
      ...extra,
    });
    const admin = await openAdmin(teardown);
    // Only so that where the signal consumer starts is not what this file tests.
    await prepareSignalTopic(
      admin,
      `${namespace}.signals.validated`,
      3,
      signalGroupId(env.KAFKA_GROUP_ID_PREFIX ?? ""),
    );
    const engine = await startEngine(teardown, env, { plugins: [paperPlugin] });
    await putStrategy(bench.db, { id: STRATEGY });
    return engine;
  }

  /** Sends a BUY and returns its one paper result. */
  async function buy(engine: TestEngine, token: number) {
    const signal = validatedSignal({ strategyId: STRATEGY, instrumentToken: token });
    await sendSignals(bench.producer, engine.running.topics.signals, [signal]);
    await bench.recorder.waitFor(
      () => resultsOf(bench.recorder, signal.id, "paper").length > 0,
      30_000,
      `the paper result of ${signal.id}`,
    );
    const results = resultsOf(bench.recorder, signal.id, "paper");
    expect(results).toHaveLength(1);
    return results[0]?.json ?? {};
  }

  it("fills the first signal after a start at the price of a tick produced before it", async () => {
    const token = randomToken();
    const ticks = await tickTopic();
    await bench.producer.send({ topic: ticks, messages: [asMessage(marketTick(token, 412.3))] });
    const engine = await engineOn(uniqueName("warm"), ticks);
    const result = await buy(engine, token);
    // Paper buys at the best ask of the last tick.
    expect(result).toMatchObject({ type: "order_filled", data: { fill_price: 412.35 } });
  });

  it("answers NO_MARKET_PRICE when the last tick is older than PRICE_MAX_AGE_MS, and fills on a fresh one", async () => {
    const ticks = await tickTopic();
    const engine = await engineOn(uniqueName("stale"), ticks, { PRICE_MAX_AGE_MS: "5000" });
    const token = randomToken();
    const applied = await engine.ticksApplied();
    // The market saw this price 20 s ago; it arrives now.
    const old = marketTick(token, 95);
    old.data.timestamp = new Date(Date.now() - 20_000).toISOString();
    // And this one carries no time of its own: its record says when it was produced, 20 s ago.
    const untimed = marketTick(token + 1, 96);
    delete (untimed.data as { timestamp?: string }).timestamp;
    await bench.producer.send({
      topic: ticks,
      messages: [asMessage(old), { ...asMessage(untimed), timestamp: String(Date.now() - 20_000) }],
    });
    await eventually(
      async () => (await engine.ticksApplied()) >= applied + 2,
      20_000,
      () => "the two ticks applied",
    );
    for (const stale of [token, token + 1]) {
      expect(await buy(engine, stale)).toMatchObject({
        type: "order_failed",
        data: { error_code: "NO_MARKET_PRICE" },
      });
    }

    await bench.producer.send({ topic: ticks, messages: [asMessage(marketTick(token, 97))] });
    await eventually(
      async () => (await engine.ticksApplied()) >= applied + 3,
      20_000,
      () => "the fresh tick applied",
    );
    expect(await buy(engine, token)).toMatchObject({
      type: "order_filled",
      data: { fill_price: 97.05 },
    });
  });
});
