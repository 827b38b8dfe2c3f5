import Table from "cli-table3";
import type { ComparisonReport } from "./comparison-report.js";
import { DIVERGENCE_KINDS, type Outcome } from "./pair-findings.js";

const PLAIN = { head: [] as string[], border: [] as string[], compact: true };

/** A cell; `both` spans the old and new columns (a figure of the signals, not of one engine). */
type Cell = string | number | null | { both: string | number };

function table(head: string[], rows: Cell[][]): string {
  const t = new Table({ head, style: PLAIN });
  for (const row of rows) {
    t.push(
      row.map((cell) =>
        cell === null
          ? "–"
          : typeof cell === "object"
            ? { content: String(cell.both), colSpan: 2, hAlign: "center" as const }
            : cell,
      ),
    );
  }
  return t.toString();
}

/** An outcome in a few characters: `filled 10 @ 2502`, `failed MARKET_CLOSED`, `open`. */
export function describeOutcome(outcome: Outcome | null): string {
  if (!outcome) return "none";
  if (outcome.kind === "filled") return `filled ${outcome.quantity} @ ${outcome.fillPrice}`;
  if (outcome.kind === "failed") return `failed ${outcome.errorCode}`;
  return "open";
}

/** The report as terminal tables: counts, latency, then the worst cases. */
export function formatComparison(report: ComparisonReport): string {
  const r = report;
  const parts = [
    `old vs new engine, signals from ${r.window.from} to ${r.window.to}`,
    table(
      ["figure", "old", "new"],
      [
        ["signals in the window", { both: r.signals }],
        ["signals without any result", { both: r.signalsWithoutResult }],
        ["(signal, namespace) answered by both", { both: r.pairs.both }],
        ["answered by this engine only", r.pairs.onlyOld, r.pairs.onlyNew],
        ["silent drops by the old engine", r.silentDropsByOld, null],
        ["executed twice (two final results)", r.duplicates.old, r.duplicates.new],
        ["results matched to no signal", r.unmatched.old, r.unmatched.new],
        ["results of signals outside the window", r.outsideWindow.old, r.outsideWindow.new],
        ["undecodable messages", r.undecodable.old, r.undecodable.new],
      ],
    ),
    table(
      ["mismatch", "pairs"],
      [
        ["outcome (filled/failed/open, error code)", r.outcomeMismatches.length],
        ["quantity", r.quantityMismatches.length],
        [`fill price (of ${r.fillPriceBps.compared} both filled)`, r.fillPriceBps.differing],
        [
          `fees (of ${r.fees.compared} with fees), total new − old ${r.fees.total}`,
          r.fees.differing,
        ],
      ],
    ),
    table(
      ["latency, ms (result ts − signal ts)", "count", "p50", "p99", "max"],
      (["old", "new", "difference"] as const).map((side) => {
        const d = r.latencyMs[side];
        return [side === "difference" ? "new − old" : side, d.count, d.p50, d.p99, d.max];
      }),
    ),
    table(
      ["fill price new vs old, bps", "count", "p50", "p99", "max"],
      (["distribution", "absolute"] as const).map((which) => {
        const d = r.fillPriceBps[which];
        return [which, d.count, d.p50, d.p99, d.max];
      }),
    ),
  ];
  const namespaces = Object.entries(r.namespaces).sort(([a], [b]) => a.localeCompare(b));
  if (namespaces.length > 1) {
    parts.push(
      table(
        ["namespace", "pairs", ...DIVERGENCE_KINDS],
        namespaces.map(([namespace, n]) => [
          namespace,
          n.pairs,
          ...DIVERGENCE_KINDS.map((kind) => n.divergences[kind] ?? 0),
        ]),
      ),
    );
  }
  const cases = [
    ...r.outcomeMismatches.map((c) => [
      "outcome",
      c.signalId,
      c.namespace,
      describeOutcome(c.old),
      describeOutcome(c.new),
    ]),
    ...r.quantityMismatches.map((c) => [
      "quantity",
      c.signalId,
      c.namespace,
      describeOutcome(c.old),
      describeOutcome(c.new),
    ]),
    ...r.fillPriceBps.worst.map((c) => [
      `price ${c.bps} bps`,
      c.signalId,
      c.namespace,
      describeOutcome(c.old),
      describeOutcome(c.new),
    ]),
    ...r.fees.worst.map((c) => [
      `fees ${c.difference}`,
      c.signalId,
      c.namespace,
      String(c.old?.fees),
      String(c.new?.fees),
    ]),
  ];
  if (cases.length > 0)
    parts.push(table(["worst cases", "signal", "namespace", "old", "new"], cases));
  return `${parts.join("\n")}\n`;
}
