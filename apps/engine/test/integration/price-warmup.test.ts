import { paperPlugin } from "@engine/trader-paper";
import { describe, expect } from "vitest";
import { putStrategy } from "./test-support/database.js";
import { benchTest, FILE_SCOPE, newSite } from "./test-support/fixtures.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import { uniqueName } from "./test-support/kafka.js";
import { asMessage, marketTick, validatedSignal } from "./test-support/messages.js";
import { randomToken, resultsOf } from "./test-support/probes.js";
import {
  ensureTopic,
  eventually,
  prepareSignalTopic,
  sendSignals,
} from "./test-support/signal-stream.js";

const STRATEGY = "warm_strategy";

// Each test starts engines of its own, on a namespace and tick topic of their own.
const it = benchTest
  .extend("options", FILE_SCOPE, {
    label: "warm",
    namespaces: ["paper"],
    plugins: [paperPlugin],
    env: { LOG_LEVEL: "error" },
  })
  /** A tick topic of its own, so the ticks an engine applied are this test's. */
  .extend("tickTopic", FILE_SCOPE, ({ bench }) => async (): Promise<string> => {
    const topic = uniqueName("it.ticks.");
    await ensureTopic(bench.admin, topic, 3);
    return topic;
  })
  /** An engine on a namespace of its own, its signals group committed at the topic's start. */
  .extend(
    "engineOn",
    FILE_SCOPE,
    ({ bench, startEngine }) =>
      async (label: string, ticks: string, extra: Record<string, string> = {}) => {
        const site = newSite(label);
        // Only so that where the signal consumer starts is not what this file tests.
        await prepareSignalTopic(bench.admin, site.signalTopic, 3, site.groupId);
        const engine = await startEngine({ MARKET_TICKS_TOPIC: ticks, ...extra }, { site });
        await putStrategy(bench.db, { id: STRATEGY });
        return engine;
      },
  )
  /** Sends a BUY and returns its one paper result. */
  .extend("buy", FILE_SCOPE, ({ bench }) => async (engine: TestEngine, token: number) => {
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
  });

describe("prices at start and prices that aged", () => {
  it("fills the first signal after a start at the price of a tick produced before it", async ({
    bench,
    tickTopic,
    engineOn,
    buy,
  }) => {
    const token = randomToken();
    const ticks = await tickTopic();
    await bench.producer.send({ topic: ticks, messages: [asMessage(marketTick(token, 412.3))] });
    const engine = await engineOn("warm", ticks);
    const result = await buy(engine, token);
    // Paper buys at the best ask of the last tick.
    expect(result).toMatchObject({ type: "order_filled", data: { fill_price: 412.35 } });
  });

  it("answers NO_MARKET_PRICE when the last tick is older than PRICE_MAX_AGE_MS, and fills on a fresh one", async ({
    bench,
    tickTopic,
    engineOn,
    buy,
  }) => {
    const ticks = await tickTopic();
    const engine = await engineOn("stale", ticks, { PRICE_MAX_AGE_MS: "5000" });
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
