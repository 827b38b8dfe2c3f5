import { z } from "zod";
import type { Pairing } from "./compare-pairs.js";
import type { SignalRecord } from "./compare-records.js";
import { DistributionSchema, distributionOf } from "./distribution.js";
import {
  DIVERGENCE_KINDS,
  type DivergenceKind,
  DivergenceKindSchema,
  type FindingTolerances,
  findingOf,
  OutcomeSchema,
  type PairFinding,
} from "./pair-findings.js";

/** How many worst cases each list keeps. */
const WORST_CASES = 10;

const CaseSchema = z.object({
  signalId: z.string(),
  namespace: z.string(),
  old: OutcomeSchema.nullable(),
  new: OutcomeSchema.nullable(),
});

const PerEngine = <T extends z.ZodType>(schema: T) => z.object({ old: schema, new: schema });

/**
 * What `engine compare` reports (`--json` prints it). Counts are of (signal, namespace) pairs
 * unless named otherwise; money in the instrument's currency; latency in ms; prices in bps.
 */
export const ComparisonReportSchema = z.object({
  window: z.object({ from: z.string(), to: z.string() }),
  /** Validated signals read in the window. */
  signals: z.number().int(),
  /** Signals no engine wrote any result for (not routed, or dropped by both). */
  signalsWithoutResult: z.number().int(),
  pairs: z.object({
    total: z.number().int(),
    both: z.number().int(),
    onlyOld: z.number().int(),
    onlyNew: z.number().int(),
  }),
  /** Pairs only the new engine answered: the old engine dropped the signal without a word. */
  silentDropsByOld: z.number().int(),
  /** Results of signals not read in the window (left out of every other figure), per engine. */
  outsideWindow: PerEngine(z.number().int()),
  /** Results matched to no signal, per engine. */
  unmatched: PerEngine(z.number().int()),
  /** Messages on the result topics that are not results of the contract, per engine. */
  undecodable: PerEngine(z.number().int()),
  /** Pairs with two or more distinct final results (executed twice), per engine. */
  duplicates: PerEngine(z.number().int()),
  /** Pairs per divergence kind (a pair may count under several). */
  divergences: z.record(DivergenceKindSchema, z.number().int()),
  outcomeMismatches: z.array(CaseSchema),
  quantityMismatches: z.array(CaseSchema),
  /** (new − old) / old fill price, bps, over pairs both filled; `worst` by absolute value. */
  fillPriceBps: z.object({
    compared: z.number().int(),
    differing: z.number().int(),
    distribution: DistributionSchema,
    absolute: DistributionSchema,
    worst: z.array(CaseSchema.extend({ bps: z.number() })),
  }),
  /** new − old fees over pairs both filled with fees. */
  fees: z.object({
    compared: z.number().int(),
    differing: z.number().int(),
    total: z.number(),
    worst: z.array(CaseSchema.extend({ difference: z.number() })),
  }),
  /** First result `ts` − signal `ts`, ms; `difference` is new − old over pairs both answered. */
  latencyMs: z.object({
    old: DistributionSchema,
    new: DistributionSchema,
    difference: DistributionSchema,
  }),
  /** Per execution namespace: pairs and divergences. */
  namespaces: z.record(
    z.string(),
    z.object({
      pairs: z.number().int(),
      divergences: z.record(DivergenceKindSchema, z.number().int()),
    }),
  ),
});
export type ComparisonReport = z.infer<typeof ComparisonReportSchema>;

/** The raw values behind the report's distributions (for charts). */
export interface ComparisonSamples {
  fillPriceBps: number[];
  latencyMs: { old: number[]; new: number[] };
}

function emptyKinds(): Record<(typeof DIVERGENCE_KINDS)[number], number> {
  return Object.fromEntries(DIVERGENCE_KINDS.map((kind) => [kind, 0])) as Record<
    (typeof DIVERGENCE_KINDS)[number],
    number
  >;
}

function caseOf(finding: PairFinding) {
  return {
    signalId: finding.signalId,
    namespace: finding.namespace,
    old: finding.old,
    new: finding.new,
  };
}

/** The findings of `kind` with the largest absolute `value`, with it rounded to 0.01. */
function worstBy(
  findings: readonly PairFinding[],
  kind: DivergenceKind,
  value: (finding: PairFinding) => number | null,
): [PairFinding, number][] {
  return findings
    .filter((f) => f.kinds.includes(kind))
    .map((f): [PairFinding, number] => [f, Math.round((value(f) ?? 0) * 100) / 100])
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, WORST_CASES);
}

/**
 * Compares the two engines' results over a window. Pure: `signals` are the validated signals
 * read in the window, `pairing` their results grouped by `pairResults`.
 */
export function compareEngines(input: {
  window: { from: string; to: string };
  signals: readonly SignalRecord[];
  pairing: Pairing;
  undecodable?: { old: number; new: number };
  tolerances?: FindingTolerances;
}): { report: ComparisonReport; findings: PairFinding[]; samples: ComparisonSamples } {
  const findings = input.pairing.pairs
    .map((pair) => findingOf(pair, input.tolerances))
    .sort((a, b) => a.signalId.localeCompare(b.signalId) || a.namespace.localeCompare(b.namespace));
  const divergences = emptyKinds();
  const namespaces: ComparisonReport["namespaces"] = {};
  for (const finding of findings) {
    const perNamespace = namespaces[finding.namespace] ?? { pairs: 0, divergences: emptyKinds() };
    namespaces[finding.namespace] = perNamespace;
    perNamespace.pairs += 1;
    for (const kind of finding.kinds) {
      divergences[kind] += 1;
      perNamespace.divergences[kind] = (perNamespace.divergences[kind] ?? 0) + 1;
    }
  }
  const has = (finding: PairFinding, kind: PairFinding["kinds"][number]) =>
    finding.kinds.includes(kind);
  const priced = findings.filter((f) => f.priceBps !== null);
  const feed = findings.filter((f) => f.feeDiff !== null);
  const both = findings.filter((f) => f.old && f.new);
  const latencies = (side: "old" | "new") =>
    findings.flatMap((f) => (f.latencyMs[side] === null ? [] : [f.latencyMs[side]]));
  const differences = both.flatMap((f) =>
    f.latencyMs.old === null || f.latencyMs.new === null ? [] : [f.latencyMs.new - f.latencyMs.old],
  );
  const answered = new Set(findings.map((f) => f.signalId));
  const samples: ComparisonSamples = {
    fillPriceBps: priced.map((f) => f.priceBps ?? 0),
    latencyMs: { old: latencies("old"), new: latencies("new") },
  };
  const report: ComparisonReport = {
    window: input.window,
    signals: input.signals.length,
    signalsWithoutResult: input.signals.filter((s) => !answered.has(s.id)).length,
    pairs: {
      total: findings.length,
      both: both.length,
      onlyOld: divergences.only_old,
      onlyNew: divergences.only_new,
    },
    silentDropsByOld: divergences.only_new,
    outsideWindow: input.pairing.outside,
    unmatched: {
      old: input.pairing.unmatched.old.length,
      new: input.pairing.unmatched.new.length,
    },
    undecodable: input.undecodable ?? { old: 0, new: 0 },
    duplicates: { old: divergences.duplicate_old, new: divergences.duplicate_new },
    divergences,
    outcomeMismatches: findings.filter((f) => has(f, "outcome")).map(caseOf),
    quantityMismatches: findings.filter((f) => has(f, "quantity")).map(caseOf),
    fillPriceBps: {
      compared: priced.length,
      differing: divergences.fill_price,
      distribution: distributionOf(samples.fillPriceBps),
      absolute: distributionOf(samples.fillPriceBps.map(Math.abs)),
      worst: worstBy(priced, "fill_price", (f) => f.priceBps).map(([f, bps]) => ({
        ...caseOf(f),
        bps,
      })),
    },
    fees: {
      compared: feed.length,
      differing: divergences.fee,
      total: Math.round(feed.reduce((sum, f) => sum + (f.feeDiff ?? 0), 0) * 100) / 100,
      worst: worstBy(feed, "fee", (f) => f.feeDiff).map(([f, difference]) => ({
        ...caseOf(f),
        difference,
      })),
    },
    latencyMs: {
      old: distributionOf(samples.latencyMs.old),
      new: distributionOf(samples.latencyMs.new),
      difference: distributionOf(differences),
    },
    namespaces,
  };
  return { report, findings, samples };
}
