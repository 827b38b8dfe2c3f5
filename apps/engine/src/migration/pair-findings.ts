import { z } from "zod";
import type { ResultPair } from "./compare-pairs.js";
import type { ResultRecord } from "./compare-records.js";

/** Ways the two engines can disagree on one (signal, namespace), the metric's `kind` label. */
export const DIVERGENCE_KINDS = [
  /** Only the old engine has a result. */
  "only_old",
  /** Only the new engine has one: the old engine dropped the signal silently. */
  "only_new",
  /** Filled against failed, different error codes, or still open against final. */
  "outcome",
  /** Both filled, different quantities. */
  "quantity",
  /** Both filled, fill prices further apart than the tolerance. */
  "fill_price",
  /** Both filled with fees, further apart than the tolerance. */
  "fee",
  /** The old engine wrote two or more final results (executed twice). */
  "duplicate_old",
  /** The new engine wrote two or more final results. */
  "duplicate_new",
] as const;
export const DivergenceKindSchema = z.enum(DIVERGENCE_KINDS);
export type DivergenceKind = z.infer<typeof DivergenceKindSchema>;

/** How an engine ended one (signal, namespace): its last final result, else `open`. */
export const OutcomeSchema = z.object({
  kind: z.enum(["filled", "failed", "open"]),
  errorCode: z.string().nullable(),
  quantity: z.number().nullable(),
  fillPrice: z.number().nullable(),
  fees: z.number().nullable(),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

/** What the comparison found for one (signal, namespace). */
export interface PairFinding {
  signalId: string;
  namespace: string;
  old: Outcome | null;
  new: Outcome | null;
  kinds: DivergenceKind[];
  /** (new − old) / old fill price, basis points; null unless both filled. */
  priceBps: number | null;
  /** new − old fees, money; null unless both filled with fees. */
  feeDiff: number | null;
  /** First result's `ts` − signal `ts`, ms, per engine; null without a result. */
  latencyMs: { old: number | null; new: number | null };
}

export interface FindingTolerances {
  /** Fill prices closer than this (bps) are equal. Default 0.01. */
  priceBps?: number;
  /** Fees closer than this (money) are equal. Default 0.01. */
  fee?: number;
}

const FINAL = new Set(["order_filled", "order_failed"]);

function outcomeOf(results: readonly ResultRecord[]): { outcome: Outcome; finals: number } {
  const finals = results.filter((r) => FINAL.has(r.type)).sort((a, b) => a.ts - b.ts);
  const last = finals.at(-1);
  const distinct = new Set(finals.map((r) => r.id)).size;
  if (!last) {
    return {
      outcome: { kind: "open", errorCode: null, quantity: null, fillPrice: null, fees: null },
      finals: 0,
    };
  }
  return {
    outcome: {
      kind: last.type === "order_filled" ? "filled" : "failed",
      errorCode: last.errorCode,
      quantity: last.quantity,
      fillPrice: last.fillPrice,
      fees: last.fees,
    },
    finals: distinct,
  };
}

function latency(pair: ResultPair, results: readonly ResultRecord[]): number | null {
  if (results.length === 0) return null;
  return Math.min(...results.map((r) => r.ts)) - pair.signal.ts;
}

/** Evaluates one pair: the outcomes, what diverges, and the figures. Pure. */
export function findingOf(pair: ResultPair, tolerances: FindingTolerances = {}): PairFinding {
  const old = pair.old.length > 0 ? outcomeOf(pair.old) : null;
  const neu = pair.new.length > 0 ? outcomeOf(pair.new) : null;
  const kinds: DivergenceKind[] = [];
  if (!old) kinds.push("only_new");
  if (!neu) kinds.push("only_old");
  if (old && old.finals > 1) kinds.push("duplicate_old");
  if (neu && neu.finals > 1) kinds.push("duplicate_new");
  const compared =
    old && neu ? compareOutcomes(old.outcome, neu.outcome, tolerances) : NOTHING_COMPARED;
  return {
    signalId: pair.signalId,
    namespace: pair.namespace,
    old: old?.outcome ?? null,
    new: neu?.outcome ?? null,
    kinds: [...kinds, ...compared.kinds],
    priceBps: compared.priceBps,
    feeDiff: compared.feeDiff,
    latencyMs: { old: latency(pair, pair.old), new: latency(pair, pair.new) },
  };
}

interface Comparison {
  kinds: DivergenceKind[];
  priceBps: number | null;
  feeDiff: number | null;
}

const NOTHING_COMPARED: Comparison = { kinds: [], priceBps: null, feeDiff: null };

/** What differs between the old engine's outcome `a` and the new one's `b`, within tolerances. */
function compareOutcomes(a: Outcome, b: Outcome, tolerances: FindingTolerances): Comparison {
  const kinds: DivergenceKind[] = [];
  if (a.kind !== b.kind || a.errorCode !== b.errorCode) kinds.push("outcome");
  if (a.kind !== "filled" || b.kind !== "filled") return { kinds, priceBps: null, feeDiff: null };
  if (a.quantity !== b.quantity) kinds.push("quantity");
  let priceBps: number | null = null;
  let feeDiff: number | null = null;
  if (a.fillPrice !== null && b.fillPrice !== null && a.fillPrice !== 0) {
    priceBps = ((b.fillPrice - a.fillPrice) / a.fillPrice) * 10_000;
    if (Math.abs(priceBps) > (tolerances.priceBps ?? 0.01)) kinds.push("fill_price");
  }
  if (a.fees !== null && b.fees !== null) {
    feeDiff = b.fees - a.fees;
    if (Math.abs(feeDiff) > (tolerances.fee ?? 0.01)) kinds.push("fee");
  }
  return { kinds, priceBps, feeDiff };
}
