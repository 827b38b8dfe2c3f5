import type { EngineSide, ResultRecord, SignalRecord } from "./compare-records.js";

/** Every result the two engines wrote for one signal on one execution namespace. */
export interface ResultPair {
  signalId: string;
  namespace: string;
  signal: SignalRecord;
  old: ResultRecord[];
  new: ResultRecord[];
}

export interface Pairing {
  pairs: ResultPair[];
  /** Results matched to no signal: no `causation_id`, and no single signal fits the fallback. */
  unmatched: Record<EngineSide, ResultRecord[]>;
  /** Results of a signal that was not read (before the window, or on another signals topic). */
  outside: Record<EngineSide, number>;
}

/** The old engine's quirk: the fallback key of a result without `causation_id`. */
function fallbackKey(strategyId: string, token: number, at: number): string {
  return `${strategyId}|${token}|${at}`;
}

/**
 * Groups results by (signal, namespace). A result names its signal by `causation_id`; one
 * without it is matched on (strategy, instrument, signal timestamp), the old engine stamping its
 * results with the signal's timestamp, but only when exactly one signal read fits: otherwise it
 * is unmatched rather than guessed. Results of signals not read are left out (counted): the
 * window is one of signals, and a result just inside it may answer a signal just before it.
 */
export function pairResults(
  signals: readonly SignalRecord[],
  results: readonly ResultRecord[],
): Pairing {
  const byId = new Map(signals.map((signal) => [signal.id, signal]));
  const byFallback = new Map<string, string[]>();
  for (const signal of signals) {
    const key = fallbackKey(signal.strategyId, signal.instrumentToken, signal.signalTimestamp);
    byFallback.set(key, [...(byFallback.get(key) ?? []), signal.id]);
  }
  const pairs = new Map<string, ResultPair>();
  const unmatched: Pairing["unmatched"] = { old: [], new: [] };
  const outside: Pairing["outside"] = { old: 0, new: 0 };
  for (const result of results) {
    let signalId = result.causationId;
    if (signalId === null) {
      const candidates = byFallback.get(
        fallbackKey(result.strategyId, result.instrumentToken, result.dataTimestamp),
      );
      signalId = candidates?.length === 1 ? (candidates[0] ?? null) : null;
    }
    if (signalId === null) {
      unmatched[result.engine].push(result);
      continue;
    }
    const signal = byId.get(signalId);
    if (!signal) {
      outside[result.engine] += 1;
      continue;
    }
    const key = `${signalId}|${result.namespace}`;
    let pair = pairs.get(key);
    if (!pair) {
      pair = { signalId, namespace: result.namespace, signal, old: [], new: [] };
      pairs.set(key, pair);
    }
    pair[result.engine].push(result);
  }
  return { pairs: [...pairs.values()], unmatched, outside };
}
