import type { TradingControl } from "@engine/core";
import { describe, expect, it } from "vitest";
import type { PublishedResult } from "../execution/result-publisher.js";
import { type ActivityEvent, blotterRow, RecentActivity } from "./recent-activity.js";

function result(overrides: Partial<PublishedResult> = {}): PublishedResult {
  return {
    signalId: "s1",
    namespace: "paper",
    strategyId: "momentum_1",
    instrumentToken: 738561,
    signalType: "BUY",
    status: "filled",
    quantity: 10,
    filledQuantity: 10,
    averagePrice: 101.5,
    limitPrice: null,
    orderId: "paper_1",
    type: "order_filled",
    ts: "2026-12-01T09:15:00.000Z",
    data: { fill_price: 101.5, fees: 2.03 },
    latencyMs: 12.345,
    ...overrides,
  };
}

const failed = (overrides: Partial<PublishedResult> = {}) =>
  result({
    status: "rejected",
    filledQuantity: 0,
    averagePrice: null,
    type: "order_failed",
    data: { error_code: "TRADING_HALTED", error_message: "halted by ops" },
    ...overrides,
  });

describe("blotterRow: the state a result puts its execution in", () => {
  it.each([
    [
      "an order_placed",
      result({
        type: "order_placed",
        status: "accepted",
        filledQuantity: 0,
        averagePrice: null,
        limitPrice: 99,
        data: {},
      }),
      "placed",
      99,
    ],
    ["an order_filled of everything", result(), "filled", 101.5],
    [
      "an order_filled of part (cancelled after)",
      result({ status: "cancelled", filledQuantity: 4, data: { fill_price: 100.25, fees: null } }),
      "partially_filled",
      100.25,
    ],
    ["an order_failed", failed(), "failed", null],
  ] as const)("%s → %s", (_name, input, state, price) => {
    const row = blotterRow(1, input);
    expect(row.state).toBe(state);
    expect(row.price).toBe(price);
  });

  it("carries the failure's code and message, the fees, and the latency rounded to 0.01 ms", () => {
    expect(blotterRow(1, failed())).toMatchObject({
      error_code: "TRADING_HALTED",
      error_message: "halted by ops",
      fees: null,
    });
    expect(blotterRow(2, result())).toMatchObject({
      error_code: null,
      fees: 2.03,
      latency_ms: 12.35,
      filled_quantity: 10,
      quantity: 10,
    });
  });
});

describe("RecentActivity", () => {
  it("keeps one row per execution, newest update first, and drops the least recently updated past its capacity", () => {
    const activity = new RecentActivity({ executions: 2, now: () => 0 });
    activity.recordResult(result({ signalId: "a", type: "order_placed", data: {} }));
    activity.recordResult(result({ signalId: "b" }));
    activity.recordResult(result({ signalId: "a" }));
    expect(activity.executions().map((row) => [row.signal_id, row.state])).toEqual([
      ["a", "filled"],
      ["b", "filled"],
    ]);
    activity.recordResult(result({ signalId: "c" }));
    expect(activity.executions().map((row) => row.signal_id)).toEqual(["c", "a"]);
  });

  it("keeps the same signal on two namespaces apart", () => {
    const activity = new RecentActivity({ now: () => 0 });
    activity.recordResult(result({ namespace: "paper" }));
    activity.recordResult(failed({ namespace: "zerodha" }));
    expect(activity.executions()).toHaveLength(2);
  });

  it("filters by strategy, namespace and state, and limits", () => {
    const activity = new RecentActivity({ now: () => 0 });
    activity.recordResult(result({ signalId: "1", strategyId: "x" }));
    activity.recordResult(failed({ signalId: "2", strategyId: "x" }));
    activity.recordResult(result({ signalId: "3", strategyId: "y", namespace: "zerodha" }));
    const ids = (filter: Parameters<RecentActivity["executions"]>[0]) =>
      activity.executions(filter).map((row) => row.signal_id);
    expect(ids({ strategy_id: "x" })).toEqual(["2", "1"]);
    expect(ids({ namespace: "zerodha" })).toEqual(["3"]);
    expect(ids({ state: "failed" })).toEqual(["2"]);
    expect(ids({ state: "filled", limit: 1 })).toEqual(["3"]);
  });

  it("keeps signal-to-fill latencies of fills only, for the window", () => {
    let now = 1_000_000;
    const activity = new RecentActivity({ latencyWindowMs: 60_000, now: () => now });
    activity.recordResult(result({ signalId: "a", latencyMs: 5 }));
    activity.recordResult(failed({ signalId: "b", latencyMs: 7 }));
    activity.recordResult(result({ signalId: "c", type: "order_placed", latencyMs: 3, data: {} }));
    activity.recordResult(result({ signalId: "d", latencyMs: null }));
    now += 30_000;
    activity.recordResult(result({ signalId: "e", latencyMs: 9 }));
    expect(activity.latency().map((point) => point.latency_ms)).toEqual([5, 9]);
    now += 31_000;
    expect(activity.latency().map((point) => point.latency_ms)).toEqual([9]);
  });

  it("bounds the latency series by count too", () => {
    const activity = new RecentActivity({ latencyPoints: 3, now: () => 0 });
    for (let i = 1; i <= 5; i += 1)
      activity.recordResult(result({ signalId: `${i}`, latencyMs: i }));
    expect(activity.latency().map((point) => point.latency_ms)).toEqual([3, 4, 5]);
  });

  it("reads a dead letter's origin and reason from its contract body; one that does not parse still shows", () => {
    const activity = new RecentActivity({ deadLetters: 2, now: () => 0 });
    activity.recordDeadLetter({
      topic: "ns.signals.validated.dlq",
      key: null,
      value: JSON.stringify({
        original_topic: "ns.signals.validated",
        original_partition: 2,
        original_offset: "41",
        error: "not valid JSON",
        failed_at: "2026-12-01T09:15:00.000Z",
        payload: "{",
      }),
    });
    activity.recordDeadLetter({ topic: "market.ticks.dlq", key: null, value: "garbage" });
    expect(activity.deadLetters()).toMatchObject([
      { topic: "market.ticks.dlq", original_topic: null, error: "(no reason given)" },
      {
        original_topic: "ns.signals.validated",
        original_partition: 2,
        original_offset: "41",
        error: "not valid JSON",
      },
    ]);
    activity.recordDeadLetter({ topic: "t.dlq", key: null, value: "{}" });
    expect(activity.deadLetters()).toHaveLength(2);
  });

  it("tells listeners every change until they stop; a listener that throws is dropped, the others still hear", () => {
    const activity = new RecentActivity({ now: () => 0 });
    const heard: ActivityEvent["type"][] = [];
    const stop = activity.subscribe((event) => heard.push(event.type));
    activity.subscribe(() => {
      throw new Error("closed stream");
    });
    activity.recordResult(result());
    activity.recordDeadLetter({ topic: "t.dlq", key: null, value: "{}" });
    activity.recordControl({ scope: "global", state: "HALTED" } as TradingControl);
    stop();
    activity.recordResult(result({ signalId: "later" }));
    expect(heard).toEqual(["execution", "dead_letter", "control"]);
  });
});
