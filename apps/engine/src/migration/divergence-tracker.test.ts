import { describe, expect, it } from "vitest";
import type { ResultRecord, SignalRecord } from "./compare-records.js";
import { DivergenceTracker } from "./divergence-tracker.js";

const signal = (id: string, ts: number): SignalRecord => ({
  id,
  ts,
  strategyId: "s",
  instrumentToken: 1,
  signalTimestamp: ts,
});

const result = (
  engine: "old" | "new",
  causationId: string | null,
  ts: number,
  fillPrice = 100,
): ResultRecord => ({
  engine,
  namespace: "paper",
  id: `${engine}-${causationId}-${ts}`,
  type: "order_filled",
  causationId,
  ts,
  strategyId: "s",
  instrumentToken: 1,
  dataTimestamp: ts,
  quantity: 1,
  fillPrice,
  fees: null,
  errorCode: null,
});

describe("DivergenceTracker", () => {
  it("judges a signal once, only after it has settled, with the results seen by then", () => {
    const tracker = new DivergenceTracker({ settleAfterMs: 1_000 });
    tracker.addSignal(signal("a", 0));
    tracker.addResult(result("new", "a", 10));
    expect(tracker.settle(500).findings).toEqual([]);
    tracker.addResult(result("old", "a", 600, 101));
    const round = tracker.settle(1_000);
    expect(round.findings).toHaveLength(1);
    expect(round.findings[0]?.kinds).toEqual(["fill_price"]);
    expect(round.findings[0]?.latencyMs).toEqual({ old: 600, new: 10 });
    expect(tracker.settle(5_000).findings).toEqual([]);
    expect(tracker.pending).toEqual({ signals: 0, results: 0 });
  });

  it("counts a silent drop when only the new engine answered by the time it settles", () => {
    const tracker = new DivergenceTracker({ settleAfterMs: 1_000 });
    tracker.addSignal(signal("a", 0));
    tracker.addResult(result("new", "a", 10));
    expect(tracker.settle(2_000).findings.map((f) => f.kinds)).toEqual([["only_new"]]);
  });

  it("keeps results waiting for their signal while young, then counts them unmatched", () => {
    const tracker = new DivergenceTracker({ settleAfterMs: 1_000, countFromMs: 100 });
    tracker.addResult(result("old", "before-start", 50));
    tracker.addResult(result("old", "late-signal", 200));
    expect(tracker.settle(1_100)).toEqual({ findings: [], unmatched: { old: 0, new: 0 } });
    tracker.addSignal(signal("late-signal", 150));
    tracker.addResult(result("new", "late-signal", 300));
    expect(tracker.settle(1_150).findings.map((f) => f.kinds)).toEqual([[]]);
    tracker.addResult(result("new", null, 2_000));
    expect(tracker.settle(3_100).unmatched).toEqual({ old: 0, new: 1 });
  });
});
