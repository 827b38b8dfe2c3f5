import { describe, expect, it } from "vitest";
import { DivergenceMetrics } from "./divergence-metrics.js";
import type { PairFinding } from "./pair-findings.js";

function finding(kinds: PairFinding["kinds"], old: number | null, neu: number | null): PairFinding {
  return {
    signalId: "s",
    namespace: "paper",
    old: null,
    new: null,
    kinds,
    priceBps: null,
    feeDiff: null,
    latencyMs: { old, new: neu },
  };
}

describe("DivergenceMetrics", () => {
  it("counts pairs and divergences by kind, with every kind present from the first pair", async () => {
    const metrics = new DivergenceMetrics();
    metrics.record({
      findings: [
        finding([], 100, 20),
        finding(["only_new"], null, 30),
        finding(["fill_price"], 300, 40),
      ],
      unmatched: { old: 2, new: 0 },
    });
    const text = await metrics.render();
    expect(text).toContain('engine_shadow_pairs_total{namespace="paper"} 3');
    expect(text).toContain('engine_shadow_divergence_total{namespace="paper",kind="only_new"} 1');
    expect(text).toContain('engine_shadow_divergence_total{namespace="paper",kind="fill_price"} 1');
    expect(text).toContain(
      'engine_shadow_divergence_total{namespace="paper",kind="duplicate_old"} 0',
    );
    expect(text).toContain('engine_shadow_unmatched_results_total{engine="old"} 2');
    expect(text).toContain(
      'engine_shadow_result_latency_seconds_count{engine="new",namespace="paper"} 3',
    );
    // New − old over the two pairs both answered: −80 ms and −260 ms.
    expect(text).toContain(
      'engine_shadow_latency_difference_seconds{namespace="paper",quantile="0.5"} -0.17',
    );
  });
});
