import { describe, expect, it } from "vitest";
import { pairResults } from "./compare-pairs.js";
import type { ResultRecord, SignalRecord } from "./compare-records.js";
import { comparisonHtml } from "./comparison-html.js";
import { compareEngines } from "./comparison-report.js";
import { formatComparison } from "./comparison-text.js";

const signals: SignalRecord[] = [0, 1, 2].map((i) => ({
  id: `sig-${i}`,
  ts: 1_000 * i,
  strategyId: "s",
  instrumentToken: 7,
  signalTimestamp: 1_000 * i,
}));

function result(engine: "old" | "new", signal: SignalRecord, fillPrice: number): ResultRecord {
  return {
    engine,
    namespace: "paper",
    id: `${engine}-${signal.id}`,
    type: "order_filled",
    causationId: signal.id,
    ts: signal.ts + (engine === "old" ? 250 : 5),
    strategyId: "s",
    instrumentToken: 7,
    dataTimestamp: signal.ts,
    quantity: 3,
    fillPrice,
    fees: 1,
    errorCode: null,
  };
}

const { report, samples } = compareEngines({
  window: { from: "2026-11-23T04:00:00.000Z", to: "2026-11-23T05:00:00.000Z" },
  signals,
  pairing: pairResults(signals, [
    result("old", signals[0] as SignalRecord, 200),
    result("new", signals[0] as SignalRecord, 201),
    result("old", signals[1] as SignalRecord, 200),
    result("new", signals[1] as SignalRecord, 200),
    result("new", signals[2] as SignalRecord, 200),
  ]),
});

describe("comparison output", () => {
  it("prints the counts, latency and the worst price case in the terminal tables", () => {
    const text = formatComparison(report);
    expect(text).toMatch(/silent drops by the old engine\s*│\s*1\s/);
    expect(text).toMatch(/│ old\s*│ 2\s*│ 250\s*│ 250\s*│ 250\s*│/);
    expect(text).toMatch(/price 50 bps\s*│ sig-0\s*│ paper\s*│ filled 3 @ 200\s*│ filled 3 @ 201/);
  });

  it("breaks the divergences down by namespace when there are several", () => {
    const signal = signals[0] as SignalRecord;
    const live = { ...result("new", signal, 200), namespace: "zerodha", id: "live" };
    const several = compareEngines({
      window: report.window,
      signals,
      pairing: pairResults(signals, [result("old", signal, 200), result("new", signal, 200), live]),
    }).report;
    const text = formatComparison(several);
    expect(text).toMatch(/│ paper\s*│ 1\s*│ 0\s*│ 0\s*│/);
    expect(text).toMatch(/│ zerodha\s*│ 1\s*│ 0\s*│ 1\s*│/);
    expect(formatComparison(report)).not.toContain("namespace │ pairs");
  });

  it("writes a page with both charts as inline SVG that fetches nothing", async () => {
    const html = await comparisonHtml(report, samples);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain("Fill price difference, new vs old");
    expect(html).not.toMatch(/<script|\ssrc=|\shref=|@import|url\(\s*['"]?http/i);
    expect(html).toContain("&#34;silentDropsByOld&#34;: 1");
  });
});
