import { failedResult, OrderFailedEventSchema, TopicMap } from "@engine/core";
import { FakeClock, sampleSignal } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import { resultEvent } from "./result-events.js";

describe("resultEvent", () => {
  const clock = new FakeClock("2026-11-25T04:00:00.000Z");
  const parent = { id: "sig-1", correlation_id: "corr-1", trace_id: "trace-1" };
  const signal = sampleSignal({ id: "sig-1" });

  it("writes a failed result as order_failed on {ns}.orders.failed, linked to the signal", () => {
    const result = failedResult(signal, {
      namespace: "zerodha",
      code: "MARKET_CLOSED",
      message: "closed",
      timestamp: "2026-11-25T04:00:00.000Z",
    });
    const { topic, key, event } = resultEvent(
      parent,
      "zerodha",
      result,
      new TopicMap("zerodha", { prefix: "shadow." }),
      clock,
    );
    expect(topic).toBe("shadow.zerodha.orders.failed");
    expect(key).toBe("momentum_nifty_1:738561");
    expect(OrderFailedEventSchema.parse(event)).toMatchObject({
      type: "order_failed",
      key,
      broker: "zerodha",
      source: "trading_engine",
      correlation_id: "corr-1",
      causation_id: "sig-1",
      trace_id: "trace-1",
      parent_trace_id: "sig-1",
      data: { error_code: "MARKET_CLOSED", execution_mode: "zerodha" },
    });
  });

  it("gives every result event an id of its own", () => {
    const result = failedResult(signal, {
      namespace: "paper",
      code: "NO_MARKET_PRICE",
      message: "none",
      timestamp: "2026-11-25T04:00:00.000Z",
    });
    const a = resultEvent(parent, "paper", result, new TopicMap("paper"), clock);
    const b = resultEvent(parent, "paper", result, new TopicMap("paper"), clock);
    expect(a.event.id).not.toBe(b.event.id);
  });
});
