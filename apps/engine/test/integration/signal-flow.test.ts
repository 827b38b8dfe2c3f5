import { OrderFilledEventSchema } from "@engine/core";
import { describe, expect } from "vitest";
import { FILE_SCOPE, inProcessTest } from "./test-support/fixtures.js";
import { validatedSignal } from "./test-support/messages.js";
import { sendSignals } from "./test-support/signal-stream.js";

const it = inProcessTest.extend("options", FILE_SCOPE, {
  label: "flow",
  price: 2500.75,
  strategies: [{ id: "flow_paper_only" }, { id: "flow_live", zerodhaTradingEnabled: true }],
});

describe("signal flow on real Kafka and PostgreSQL", () => {
  it("turns a validated signal into an order_filled on paper.orders.filled with the contract fields", async ({
    token,
    bench: { producer, recorder },
    site: { signalTopic },
  }) => {
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

  it("routes a strategy with zerodha_trading_enabled to paper and the live namespace: one result on each", async ({
    token,
    bench: { producer, recorder },
    site: { signalTopic },
  }) => {
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
