import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { distributionOf } from "./distribution.js";
import type { SettledRound } from "./divergence-tracker.js";
import { DIVERGENCE_KINDS } from "./pair-findings.js";

/** Latency differences kept per namespace for the difference gauge. */
const DIFFERENCES_KEPT = 1_000;

/**
 * The continuous comparison's Prometheus metrics, on a registry of their own:
 * `engine_shadow_pairs_total{namespace}`, `engine_shadow_divergence_total{namespace,kind}`,
 * `engine_shadow_unmatched_results_total{engine}`,
 * `engine_shadow_result_latency_seconds{engine,namespace}` (histogram), and
 * `engine_shadow_latency_difference_seconds{namespace,quantile}` (new − old over the last 1000
 * pairs both answered; negative: the new engine is faster).
 */
export class DivergenceMetrics {
  readonly registry = new Registry();

  readonly pairs = new Counter({
    name: "engine_shadow_pairs_total",
    help: "(signal, namespace) pairs judged by the continuous comparison",
    labelNames: ["namespace"] as const,
    registers: [this.registry],
  });

  readonly divergences = new Counter({
    name: "engine_shadow_divergence_total",
    help: "Pairs on which the old and the new engine disagree, by namespace and kind (only_old, only_new = silent drop by the old engine, outcome, quantity, fill_price, fee, duplicate_old, duplicate_new)",
    labelNames: ["namespace", "kind"] as const,
    registers: [this.registry],
  });

  readonly unmatched = new Counter({
    name: "engine_shadow_unmatched_results_total",
    help: "Results matched to no signal by the time they settled, by engine (old, new)",
    labelNames: ["engine"] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: "engine_shadow_result_latency_seconds",
    help: "First result ts minus signal ts, by engine (old, new) and namespace",
    labelNames: ["engine", "namespace"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly latencyDifference = new Gauge({
    name: "engine_shadow_latency_difference_seconds",
    help: "New minus old engine latency over the last 1000 pairs both answered, by namespace and quantile (0.5, 0.99)",
    labelNames: ["namespace", "quantile"] as const,
    registers: [this.registry],
  });

  /** Per namespace: the last latency differences, ms. */
  readonly #differences = new Map<string, number[]>();

  /** Counts one settled round. */
  record(round: SettledRound): void {
    for (const [engine, count] of Object.entries(round.unmatched)) {
      if (count > 0) this.unmatched.inc({ engine }, count);
    }
    const touched = new Set<string>();
    for (const finding of round.findings) {
      if (this.#recordFinding(finding)) touched.add(finding.namespace);
    }
    for (const namespace of touched) this.#publishDifferences(namespace);
  }

  /** Counts one pair; whether it added a latency difference (both engines answered). */
  #recordFinding(finding: SettledRound["findings"][number]): boolean {
    const namespace = finding.namespace;
    if (!this.#differences.has(namespace)) {
      // Every kind's series exists from a namespace's first pair: alerts see 0, not nothing.
      for (const kind of DIVERGENCE_KINDS) this.divergences.inc({ namespace, kind }, 0);
      this.#differences.set(namespace, []);
    }
    this.pairs.inc({ namespace });
    for (const kind of finding.kinds) this.divergences.inc({ namespace, kind });
    const { old, new: neu } = finding.latencyMs;
    if (old !== null) this.latency.observe({ engine: "old", namespace }, old / 1000);
    if (neu !== null) this.latency.observe({ engine: "new", namespace }, neu / 1000);
    if (old === null || neu === null) return false;
    const kept = this.#differences.get(namespace) ?? [];
    kept.push(neu - old);
    if (kept.length > DIFFERENCES_KEPT) kept.splice(0, kept.length - DIFFERENCES_KEPT);
    this.#differences.set(namespace, kept);
    return true;
  }

  #publishDifferences(namespace: string): void {
    const ms = distributionOf(this.#differences.get(namespace) ?? []);
    if (ms.p50 !== null) this.latencyDifference.set({ namespace, quantile: "0.5" }, ms.p50 / 1000);
    if (ms.p99 !== null) this.latencyDifference.set({ namespace, quantile: "0.99" }, ms.p99 / 1000);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
