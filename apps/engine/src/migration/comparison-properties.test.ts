import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pairResults } from "./compare-pairs.js";
import type { ResultRecord, SignalRecord } from "./compare-records.js";
import { compareEngines } from "./comparison-report.js";

/** What each engine did with one signal: filled at a price (in paise), or nothing. */
interface Answer {
  old: number | null;
  new: number | null;
  withoutCausation: boolean;
}

const scenario = fc.array(
  fc.record({
    old: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
    new: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
    withoutCausation: fc.boolean(),
  }),
  { maxLength: 40 },
);

function build(cases: Answer[]) {
  const signals: SignalRecord[] = cases.map((_, i) => ({
    id: `s${i}`,
    ts: i * 10,
    strategyId: "s",
    instrumentToken: 1,
    signalTimestamp: i * 10,
  }));
  const results: ResultRecord[] = cases.flatMap((c, i) =>
    (["old", "new"] as const).flatMap((engine) => {
      const price = c[engine];
      if (price === null) return [];
      return [
        {
          engine,
          namespace: "paper",
          id: `${engine}${i}`,
          type: "order_filled" as const,
          causationId: engine === "old" && c.withoutCausation ? null : `s${i}`,
          ts: i * 10 + 5,
          strategyId: "s",
          instrumentToken: 1,
          dataTimestamp: i * 10,
          quantity: 1,
          fillPrice: price / 100,
          fees: null,
          errorCode: null,
        },
      ];
    }),
  );
  return compareEngines({
    window: { from: "a", to: "b" },
    signals,
    pairing: pairResults(signals, results),
  }).report;
}

describe("compareEngines over any mix of answers", () => {
  it("accounts for every signal once: both, only one engine, or none", () => {
    fc.assert(
      fc.property(scenario, (cases) => {
        const report = build(cases);
        const { both, onlyOld, onlyNew, total } = report.pairs;
        expect(both + onlyOld + onlyNew).toBe(total);
        expect(total + report.signalsWithoutResult).toBe(cases.length);
        expect(both).toBe(cases.filter((c) => c.old !== null && c.new !== null).length);
        expect(report.silentDropsByOld).toBe(
          cases.filter((c) => c.old === null && c.new !== null).length,
        );
        // Distinct signal timestamps: the old engine's results without causation_id all match.
        expect(report.unmatched).toEqual({ old: 0, new: 0 });
      }),
    );
  });

  it("flags a price difference exactly when the fills differ", () => {
    fc.assert(
      fc.property(scenario, (cases) => {
        const report = build(cases);
        const differing = cases.filter((c) => c.old !== null && c.new !== null && c.old !== c.new);
        expect(report.fillPriceBps.differing).toBe(differing.length);
        expect(report.divergences.fill_price).toBe(differing.length);
      }),
    );
  });
});
