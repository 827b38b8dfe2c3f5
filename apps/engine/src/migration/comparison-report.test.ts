import { describe, expect, it } from "vitest";
import { pairResults } from "./compare-pairs.js";
import type { EngineSide, ResultRecord, SignalRecord } from "./compare-records.js";
import { compareEngines } from "./comparison-report.js";

const T0 = Date.parse("2026-11-23T04:00:00Z");

function signal(id: string, offsetMs: number, token = 738561): SignalRecord {
  return {
    id,
    ts: T0 + offsetMs,
    strategyId: "s1",
    instrumentToken: token,
    signalTimestamp: T0 + offsetMs - 5,
  };
}

let resultCount = 0;
function fill(
  engine: EngineSide,
  of: SignalRecord,
  latencyMs: number,
  over: Partial<ResultRecord> = {},
): ResultRecord {
  resultCount += 1;
  return {
    engine,
    namespace: "paper",
    id: `r${resultCount}`,
    type: "order_filled",
    causationId: of.id,
    ts: of.ts + latencyMs,
    strategyId: of.strategyId,
    instrumentToken: of.instrumentToken,
    dataTimestamp: of.ts + latencyMs,
    quantity: 10,
    fillPrice: 100,
    fees: 1.5,
    errorCode: null,
    ...over,
  };
}

function failed(engine: EngineSide, of: SignalRecord, errorCode: string): ResultRecord {
  return fill(engine, of, 20, { type: "order_failed", fillPrice: null, fees: null, errorCode });
}

function compare(signals: SignalRecord[], results: ResultRecord[]) {
  return compareEngines({
    window: { from: "a", to: "b" },
    signals,
    pairing: pairResults(signals, results),
  }).report;
}

describe("compareEngines", () => {
  it("reports nothing but matches when both engines agree", () => {
    const a = signal("a", 0);
    const b = signal("b", 10);
    const report = compare(
      [a, b],
      [fill("old", a, 40), fill("new", a, 8), fill("old", b, 60), fill("new", b, 12)],
    );
    expect(report.pairs).toEqual({ total: 2, both: 2, onlyOld: 0, onlyNew: 0 });
    expect(Object.values(report.divergences).every((count) => count === 0)).toBe(true);
    expect(report.latencyMs.old).toEqual({ count: 2, p50: 50, p99: 59.8, max: 60 });
    expect(report.latencyMs.new.max).toBe(12);
    expect(report.latencyMs.difference.max).toBe(-32);
    expect(report.fillPriceBps).toMatchObject({ compared: 2, differing: 0, worst: [] });
  });

  it("counts a signal only the new engine answered as a silent drop by the old", () => {
    const a = signal("a", 0);
    const report = compare([a], [fill("new", a, 8)]);
    expect(report.pairs).toMatchObject({ onlyNew: 1, both: 0 });
    expect(report.silentDropsByOld).toBe(1);
    expect(report.divergences.only_new).toBe(1);
  });

  it("measures a fill price difference in basis points and lists it among the worst", () => {
    const a = signal("a", 0);
    const b = signal("b", 10);
    const report = compare(
      [a, b],
      [
        fill("old", a, 40, { fillPrice: 100 }),
        fill("new", a, 8, { fillPrice: 100.25 }),
        fill("old", b, 40),
        fill("new", b, 8),
      ],
    );
    expect(report.fillPriceBps.differing).toBe(1);
    expect(report.fillPriceBps.worst).toEqual([
      expect.objectContaining({ signalId: "a", namespace: "paper", bps: 25 }),
    ]);
    expect(report.fillPriceBps.absolute.max).toBe(25);
  });

  it("reports outcome, error code, quantity and fee mismatches", () => {
    const [a, b, c, d] = [signal("a", 0), signal("b", 1), signal("c", 2), signal("d", 3)];
    const report = compare(
      [a, b, c, d],
      [
        fill("old", a, 10),
        failed("new", a, "NO_MARKET_PRICE"),
        failed("old", b, "MARKET_CLOSED"),
        failed("new", b, "STALE_SIGNAL"),
        fill("old", c, 10, { quantity: 10 }),
        fill("new", c, 10, { quantity: 5 }),
        fill("old", d, 10, { fees: 1.5 }),
        fill("new", d, 10, { fees: 2 }),
      ],
    );
    expect(report.outcomeMismatches.map((m) => m.signalId)).toEqual(["a", "b"]);
    expect(report.outcomeMismatches[1]).toMatchObject({
      old: { kind: "failed", errorCode: "MARKET_CLOSED" },
      new: { kind: "failed", errorCode: "STALE_SIGNAL" },
    });
    expect(report.quantityMismatches.map((m) => m.signalId)).toEqual(["c"]);
    expect(report.fees).toMatchObject({ compared: 2, differing: 1, total: 0.5 });
    expect(report.fees.worst).toEqual([
      expect.objectContaining({ signalId: "d", difference: 0.5 }),
    ]);
  });

  it("matches a result without causation_id on (strategy, instrument, signal timestamp), else leaves it unmatched", () => {
    const a = signal("a", 0, 1);
    const b = signal("b", 0, 2);
    // Two signals share c's fallback key: ambiguous, so its result is not guessed.
    const c1 = signal("c1", 50, 3);
    const c2 = { ...signal("c2", 50, 3), id: "c2" };
    const report = compare(
      [a, b, c1, c2],
      [
        fill("old", a, 30, { causationId: null, dataTimestamp: a.signalTimestamp }),
        fill("new", a, 5),
        fill("old", b, 30, { causationId: null, dataTimestamp: b.signalTimestamp + 1 }),
        fill("new", b, 5),
        fill("old", c1, 30, { causationId: null, dataTimestamp: c1.signalTimestamp }),
      ],
    );
    expect(report.pairs).toEqual({ total: 2, both: 1, onlyOld: 0, onlyNew: 1 });
    expect(report.unmatched).toEqual({ old: 2, new: 0 });
    expect(report.signalsWithoutResult).toBe(2);
  });

  it("counts a pair with two distinct final results as executed twice", () => {
    const a = signal("a", 0);
    const report = compare(
      [a],
      [
        fill("old", a, 10),
        fill("old", a, 900),
        fill("new", a, 10),
        fill("new", a, 10, { id: "same" }),
        fill("new", a, 10, { id: "same" }),
      ],
    );
    expect(report.duplicates).toEqual({ old: 1, new: 1 });
  });

  it("keeps a live order still open apart from a final result", () => {
    const a = signal("a", 0);
    const report = compare(
      [a],
      [
        fill("old", a, 10),
        fill("new", a, 4, { type: "order_placed", fillPrice: null, fees: null }),
      ],
    );
    expect(report.outcomeMismatches).toEqual([
      expect.objectContaining({ new: expect.objectContaining({ kind: "open" }) }),
    ]);
  });
});
