import { pairResults } from "./compare-pairs.js";
import type { EngineSide, ResultRecord, SignalRecord } from "./compare-records.js";
import { type FindingTolerances, findingOf, type PairFinding } from "./pair-findings.js";

/** What one `settle` decided: the findings of the signals it closed, and results it gave up on. */
export interface SettledRound {
  findings: PairFinding[];
  /** Results that matched no signal by the time they were settled, per engine. */
  unmatched: Record<EngineSide, number>;
}

/**
 * The comparison as a stream: signals and results are added as they arrive, and a signal is
 * judged once `settleAfterMs` has passed since its `ts` (both engines have had time to answer),
 * exactly once. Pure and in memory; memory is bounded by the signals of `settleAfterMs`.
 */
export class DivergenceTracker {
  readonly #settleAfterMs: number;
  readonly #tolerances: FindingTolerances;
  readonly #countFromMs: number;
  readonly #signals = new Map<string, SignalRecord>();
  #results: ResultRecord[] = [];
  readonly #resultIds = new Set<string>();

  /**
   * `settleAfterMs`: how long after a signal's `ts` it is judged. `countFromMs`: results older
   * than this (ms since the epoch; the start plus `settleAfterMs`) are never counted unmatched:
   * they may answer signals from before the tracker started.
   */
  constructor(options: {
    settleAfterMs: number;
    countFromMs?: number;
    tolerances?: FindingTolerances;
  }) {
    this.#settleAfterMs = options.settleAfterMs;
    this.#countFromMs = options.countFromMs ?? 0;
    this.#tolerances = options.tolerances ?? {};
  }

  addSignal(signal: SignalRecord): void {
    this.#signals.set(signal.id, signal);
  }

  /** Adds a result; one already waiting under the same id (a message read twice) is skipped. */
  addResult(result: ResultRecord): void {
    if (this.#resultIds.has(result.id)) return;
    this.#resultIds.add(result.id);
    this.#results.push(result);
  }

  /** Signals and results still waiting to be judged. */
  get pending(): { signals: number; results: number } {
    return { signals: this.#signals.size, results: this.#results.length };
  }

  /**
   * Judges every signal older than `settleAfterMs` at `nowMs` with the results seen so far, and
   * forgets it; results older than that which matched none of them are counted and forgotten.
   */
  settle(nowMs: number): SettledRound {
    const cutoff = nowMs - this.#settleAfterMs;
    const due = [...this.#signals.values()].filter((signal) => signal.ts <= cutoff);
    const { pairs } = pairResults(due, this.#results);
    const used = new Set(pairs.flatMap((pair) => [...pair.old, ...pair.new]).map((r) => r.id));
    for (const signal of due) this.#signals.delete(signal.id);
    const given: Record<EngineSide, number> = { old: 0, new: 0 };
    // Kept: results of signals not yet due (or not yet seen) that are still young.
    this.#results = this.#results.filter((result) => {
      const keep = !used.has(result.id) && result.ts > cutoff;
      // Results that answer signals from before the tracker started are no one's fault.
      if (!used.has(result.id) && !keep && result.ts >= this.#countFromMs) {
        given[result.engine] += 1;
      }
      if (!keep) this.#resultIds.delete(result.id);
      return keep;
    });
    return {
      findings: pairs.map((pair) => findingOf(pair, this.#tolerances)),
      unmatched: given,
    };
  }
}
