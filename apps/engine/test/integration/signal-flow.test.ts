import { OrderFilledEventSchema } from "@engine/core";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import { baseEnv, startEngine } from "./support/in-process-engine.js";
import { openProducer, openRecorder, type TopicRecorder, uniqueName } from "./support/kafka.js";
import { validatedSignal } from "./support/messages.js";
import { primePrice, randomToken } from "./support/probes.js";
import { sendSignals } from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";

describe("signal flow on real Kafka and PostgreSQL", () => {
  const namespace = uniqueName("it");
  const signalTopic = `${namespace}.signals.validated`;
  const token = randomToken();
  const teardown = new Teardown();
  let db: TestDatabase;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await openTestDatabase(teardown);
    const engine = await startEngine(
      teardown,
      baseEnv(db.url, namespace, { LIVESIM_ENABLED: "true" }),
    );
    producer = await openProducer(teardown);
    recorder = await openRecorder(teardown, [
      "paper.orders.filled",
      "paper.orders.failed",
      "livesim.orders.filled",
      "livesim.orders.failed",
    ]);
    await primePrice(engine, producer, token, 2500.75);
  });

  afterAll(() => teardown.run());

  it("turns a validated signal into an order_filled on paper.orders.filled with the contract fields", async () => {
    await putStrategy(db, { id: "flow_paper_only" });
    const signal = validatedSignal({
      strategyId: "flow_paper_only",
      instrumentToken: token,
      quantity: 7,
    });
    await sendSignals(producer, signalTopic, [signal]);

    await recorder.waitForResults(signal.id, ["paper.orders.filled"], 30_000, "paper fill");
    const [fill] = recorder.causedBy("paper.orders.filled", signal.id);
    const event = OrderFilledEventSchema.parse(fill?.json);
    expect(fill?.key).toBe(`flow_paper_only:${token}`);
    expect(event).toMatchObject({
      type: "order_filled",
      source: "trading_engine",
      broker: "paper",
      version: 1,
      key: `flow_paper_only:${token}`,
      correlation_id: signal.correlation_id,
      causation_id: signal.id,
      trace_id: signal.trace_id,
      parent_trace_id: signal.id,
      data: {
        instrument_token: token,
        quantity: 7,
        side: "BUY",
        signal_type: "BUY",
        strategy_id: "flow_paper_only",
        execution_mode: "paper",
        broker: "paper",
        // Paper buys at the best ask of the last tick.
        fill_price: 2500.8,
      },
    });
    expect(recorder.causedBy("livesim.orders.filled", signal.id)).toHaveLength(0);
  });

  it("routes a strategy with zerodha_trading_enabled to paper and the live namespace: one result on each", async () => {
    await putStrategy(db, { id: "flow_live", zerodhaTradingEnabled: true });
    const signal = validatedSignal({
      strategyId: "flow_live",
      instrumentToken: token,
      signalType: "SELL",
    });
    await sendSignals(producer, signalTopic, [signal]);

    await recorder.waitForResults(
      signal.id,
      ["paper.orders.filled", "livesim.orders.filled"],
      30_000,
      "a fill on each namespace",
    );
    const [live] = recorder.causedBy("livesim.orders.filled", signal.id);
    expect(live?.json).toMatchObject({
      broker: "livesim",
      data: { execution_mode: "livesim", side: "SELL" },
    });
  });
});
