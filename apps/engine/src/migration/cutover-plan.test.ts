import { describe, expect, it } from "vitest";
import { type PartitionOffsets, planCutover } from "./cutover-plan.js";

const plan = (partitions: PartitionOffsets[], allowRewind = false) =>
  planCutover({
    topic: "paper.signals.validated",
    sourceGroup: "old",
    targetGroup: "new",
    partitions,
    allowRewind,
  });

describe("planCutover", () => {
  it("gives the target the source's offsets, counting the signals between and those waiting", () => {
    const result = plan([
      { partition: 1, low: "0", high: "50", source: "40", target: "10" },
      { partition: 0, low: "0", high: "20", source: "20", target: null },
    ]);
    expect(result.problems).toEqual([]);
    expect(result.steps).toEqual([
      { partition: 0, from: null, to: "20", between: null, waiting: 0 },
      { partition: 1, from: "10", to: "40", between: 30, waiting: 10 },
    ]);
  });

  it("takes an empty partition the source never committed at its end", () => {
    const result = plan([{ partition: 0, low: "7", high: "7", source: null, target: null }]);
    expect(result.problems).toEqual([]);
    expect(result.steps).toEqual([
      { partition: 0, from: null, to: "7", between: null, waiting: 0 },
    ]);
  });

  it("refuses a partition with signals the source never committed: nobody knows where it stopped", () => {
    const result = plan([{ partition: 2, low: "0", high: "3", source: null, target: "1" }]);
    expect(result.problems).toEqual([
      'partition 2: "old" has no committed offset and 3 signal(s) are retained',
    ]);
    expect(result.steps).toEqual([]);
  });

  it("refuses to move the target backwards unless allowed", () => {
    const partitions = [{ partition: 0, low: "0", high: "9", source: "4", target: "6" }];
    expect(plan(partitions).problems).toEqual([
      'partition 0: "new" is 2 signal(s) ahead of "old"; moving it back executes them again (--allow-rewind)',
    ]);
    const allowed = plan(partitions, true);
    expect(allowed.problems).toEqual([]);
    expect(allowed.steps[0]).toMatchObject({ from: "6", to: "4", between: -2 });
  });

  it("refuses the same group as source and target", () => {
    const result = planCutover({ topic: "t", sourceGroup: "g", targetGroup: "g", partitions: [] });
    expect(result.problems).toEqual(['source and target are the same group "g"']);
  });
});
