// The results: a table in the terminal, bench/results/latest.json, and bench/results/latency.svg.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { runFollowing } from "../sections/following.ts";
import type { runHotPaths } from "../sections/hot-paths.ts";
import type { runIngest } from "../sections/ingest.ts";
import type { runLatency } from "../sections/latency.ts";
import type { runMemory } from "../sections/memory.ts";
import type { runRestart } from "../sections/restart.ts";
import type { BenchContext, LatencyDistribution } from "./context.ts";
import type { Machine } from "./machine.ts";
import { ENGINE_STAGES } from "./prometheus.ts";

/** What a section's run function returns, but its latency distributions (those go to the chart). */
type Figures<F extends (ctx: BenchContext) => Promise<object>> = Omit<
  Awaited<ReturnType<F>>,
  "distributions"
>;
type IngestFigures = Figures<typeof runIngest>;
type LatencyFigures = Figures<typeof runLatency>;
type FollowingFigures = Figures<typeof runFollowing>;
type HotPathFigures = Figures<typeof runHotPaths>;
type MemoryFigures = Figures<typeof runMemory>;
type RestartFigures = Figures<typeof runRestart>;

/**
 * bench/results/latest.json: when, on what, which sections; then each section's figures, merged
 * in whole when it ran and absent when it did not or failed (its message in `errors`).
 */
export interface Results
  extends Partial<
    IngestFigures &
      LatencyFigures &
      FollowingFigures &
      HotPathFigures &
      MemoryFigures &
      RestartFigures
  > {
  date: string;
  machine: Machine;
  run: { id: string; quick: boolean; sections: string[]; soak_minutes: number; seconds?: number };
  errors?: Record<string, string>;
}

/** A row of the table: measure, result, goal, verdict. */
type Row = [string, string, string, string];

/** A goal of the table: a floor or a ceiling, and how the table writes it. */
interface Goal {
  min?: number;
  max?: number;
  text: string;
}

/** `results` as the figures of the section that wrote `key`, when that section ran. */
function ran<F extends object>(results: Results, key: keyof F & keyof Results): F | null {
  return results[key] === undefined ? null : (results as unknown as F);
}

export const GOALS = {
  tick_ingest_per_s: { min: 100_000, text: ">= 100,000/s" },
  tick_ingest_ratio_vs_kafkajs: { min: 0.9, text: ">= 0.90" },
  tick_ingest_ratio_vs_no_work: { min: 0.9, text: ">= 0.90 (issue 11)" },
  signal_latency_p99_ms: { max: 10, text: "p99 <= 10 ms at 100/s" },
  signal_latency_ratio_vs_relay: { max: 1.5, text: "<= 1.50 (issue 11)" },
  max_sustained_signals_per_s: { min: 1_000, text: ">= 1,000/s" },
  tick_decode_per_s: { min: 1_000_000, text: ">= 1,000,000/s" },
  rss_growth_pct: { max: 10, text: "within 10 %" },
  restart_to_trading_s: { max: 10, text: "<= 10 s" },
} satisfies Record<string, Goal>;

const n = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined
    ? "n/a"
    : Number(value).toLocaleString("en-US", {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });

function verdict(goal: Goal, value: number | null | undefined) {
  if (value === null || value === undefined) return "";
  if (goal.min !== undefined) return value >= goal.min ? "met" : "NOT met";
  return value <= (goal.max ?? Number.POSITIVE_INFINITY) ? "met" : "NOT met";
}

/** Rows of the results table: [measure, result, goal, verdict]. */
export function tableRows(results: Results): Row[] {
  const rows: Row[] = [];
  const ingest = ran<IngestFigures>(results, "tick_ingest_per_s");
  if (ingest) rows.push(...ingestRows(ingest));
  const latency = ran<LatencyFigures>(results, "signal_latency_ms");
  if (latency) rows.push(...latencyRows(latency));
  if (results.following) rows.push(...followingRows(results.following));
  const hot = ran<HotPathFigures>(results, "tick_decode_per_s");
  if (hot) rows.push(...hotPathRows(hot));
  const r = ran<MemoryFigures>(results, "rss_mb_start");
  if (r) {
    rows.push([
      `Engine RSS over ${n(r.memory.soak_minutes, 0)} min (after ${r.memory.warmup_s} s warm-up)`,
      `${n(r.rss_mb_start, 1)} -> ${n(r.rss_mb_end, 1)} MB (${r.memory.rss_growth_pct >= 0 ? "+" : ""}${n(r.memory.rss_growth_pct, 1)} %; ${n(r.memory.rss_mb_min, 0)}-${n(r.memory.rss_mb_max, 0)} MB)`,
      GOALS.rss_growth_pct.text,
      verdict(GOALS.rss_growth_pct, Math.abs(r.memory.rss_growth_pct)),
    ]);
  }
  const restart = ran<RestartFigures>(results, "restart_to_trading_s");
  if (restart) {
    const spawn = restart.restart.spawn_to_first_result_s;
    rows.push([
      `Restart to trading after SIGKILL (median / max of ${restart.restart.rounds.length})`,
      `${n(spawn.median, 1)} / ${n(spawn.max, 1)} s`,
      GOALS.restart_to_trading_s.text,
      verdict(GOALS.restart_to_trading_s, spawn.max),
    ]);
  }
  return rows;
}

/** Tick ingest: the engine against the bare kafkajs consumer. */
function ingestRows(r: IngestFigures): Row[] {
  const rows: Row[] = [];
  rows.push([
    "Tick ingest, engine (Kafka -> price cache)",
    `${n(r.tick_ingest_per_s)} ticks/s`,
    GOALS.tick_ingest_per_s.text,
    verdict(GOALS.tick_ingest_per_s, r.tick_ingest_per_s),
  ]);
  rows.push([
    "Tick ingest, bare kafkajs + JSON.parse",
    `${n(r.baseline_kafkajs_per_s)} ticks/s`,
    "",
    "",
  ]);
  rows.push([
    "Engine / bare kafkajs",
    n(r.tick_ingest_ratio_vs_kafkajs, 2),
    GOALS.tick_ingest_ratio_vs_kafkajs.text,
    verdict(GOALS.tick_ingest_ratio_vs_kafkajs, r.tick_ingest_ratio_vs_kafkajs),
  ]);
  if (r.tick_ingest_ratio_vs_no_work !== undefined) {
    rows.push([
      "  kafkajs doing nothing with the messages",
      `${n(r.ingest.kafkajs_no_work_per_s)} ticks/s`,
      "",
      "",
    ]);
    rows.push([
      "Engine / kafkajs doing nothing (the client's ceiling)",
      n(r.tick_ingest_ratio_vs_no_work, 2),
      GOALS.tick_ingest_ratio_vs_no_work.text,
      verdict(GOALS.tick_ingest_ratio_vs_no_work, r.tick_ingest_ratio_vs_no_work),
    ]);
  }
  return rows;
}

/** Signal latency at fixed rates, the relay baseline, the engine's share, the highest rate held. */
function latencyRows(r: LatencyFigures): Row[] {
  const rows: Row[] = [];
  for (const fixed of r.latency.fixed) {
    const goal = fixed.rate === 100 ? GOALS.signal_latency_p99_ms : null;
    rows.push([
      `Signal -> fill at ${fixed.rate}/s (p50 / p99 / p99.9 / max)`,
      `${n(fixed.p50, 1)} / ${n(fixed.p99, 1)} / ${n(fixed.p999, 1)} / ${n(fixed.max, 1)} ms`,
      goal ? goal.text : "",
      goal ? verdict(goal, fixed.p99) : "",
    ]);
  }
  for (const baseline of r.latency.baseline ?? []) {
    rows.push([
      `  bare kafkajs relay at ${baseline.rate}/s (same hops)`,
      `${n(baseline.p50, 1)} / ${n(baseline.p99, 1)} / ${n(baseline.p999, 1)} / ${n(baseline.max, 1)} ms`,
      "",
      "",
    ]);
  }
  for (const [name, key] of [
    ["p50", "signal_latency_p50_ratio_vs_kafkajs"],
    ["p99", "signal_latency_p99_ratio_vs_kafkajs"],
  ] as const) {
    if (r[key] === undefined) continue;
    rows.push([
      `  engine ${name} / relay ${name} at 100/s`,
      n(r[key], 2),
      GOALS.signal_latency_ratio_vs_relay.text,
      verdict(GOALS.signal_latency_ratio_vs_relay, r[key]),
    ]);
  }
  rows.push(...engineShareRows(r));
  rows.push([
    "Highest signal rate sustained",
    r.max_sustained_signals_per_s === null
      ? "below 500/s"
      : `${n(r.max_sustained_signals_per_s)}/s`,
    GOALS.max_sustained_signals_per_s.text,
    verdict(GOALS.max_sustained_signals_per_s, r.max_sustained_signals_per_s ?? 0),
  ]);
  return rows;
}

/** Where the engine's own time goes at each fixed rate. */
function engineShareRows(r: LatencyFigures): Row[] {
  const rows: Row[] = [];
  for (const fixed of r.latency.fixed) {
    if (!fixed.engine_share) continue;
    const stages = fixed.engine_share.stages_mean_ms_per_batch;
    rows.push([
      `Engine's own share at ${fixed.rate}/s, mean per signal`,
      `${n(fixed.engine_share.execution_mean_ms, 2)} ms`,
      "",
      "",
    ]);
    rows.push([
      "  per batch: decode / decide / execute / journal / produce",
      `${ENGINE_STAGES.map((stage) => n(stages[stage].mean_ms, 2)).join(" / ")} ms (${n(stages.decode.batches)} batches)`,
      "",
      "",
    ]);
  }
  return rows;
}

/** In-process hot paths: decoding, the tick handler, the signal pipeline. */
function hotPathRows(r: HotPathFigures): Row[] {
  const rows: Row[] = [];
  const hot = r.hot_paths;
  rows.push([
    "Tick decode + price cache, in process",
    `${n(r.tick_decode_per_s)}/s`,
    GOALS.tick_decode_per_s.text,
    verdict(GOALS.tick_decode_per_s, r.tick_decode_per_s),
  ]);
  rows.push(["  (JSON.parse decoder, before)", `${n(hot.tick_decode_json_parse_per_s)}/s`, "", ""]);
  rows.push(["Engine tick handler, batches of 500", `${n(hot.tick_handler_per_s)}/s`, "", ""]);
  rows.push([
    "Signal pipeline, PGlite journal",
    `${n(hot.signal_pipeline_pglite_per_s)} signals/s`,
    "",
    "",
  ]);
  rows.push([
    "Signal pipeline, PostgreSQL journal",
    `${n(hot.signal_pipeline_postgres_per_s)} signals/s`,
    "",
    "",
  ]);
  return rows;
}

/** Issue 11: fills of 1,000 open orders seen within 2 s (p99), following within 2 Kite reads/s. */
function followingRows(f: FollowingFigures["following"]): Row[] {
  const fill = f.fill_seen_ms;
  const reads = f.kite_reads;
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  const rows: Row[] = [
    [
      `Fill seen after release, ${n(f.open_orders)} open orders (p50 / p99 / max)`,
      `${n(fill.p50, 0)} / ${n(fill.p99, 0)} / ${n(fill.max, 0)} ms (${n(fill.seen)}/${n(fill.released)} seen)`,
      `p99 <= ${n(f.goal.fill_seen_p99_ms)} ms`,
      met(f.goal.fill_seen_met),
    ],
    [
      "Kite reads following them: peak in any second / mean",
      `${n(reads.reads_peak_per_s)} / ${n(reads.reads_mean_per_s, 2)} per s (${n(reads.reads_per_round, 2)} per round)`,
      `<= ${n(f.goal.reads_per_second)}/s`,
      met(f.goal.reads_met),
    ],
  ];
  const idle = f.setup.idle
    .map((window) => `${n(window.round_mean_ms, 1)} ms at ${n(window.open_orders)} open`)
    .join(", ");
  rows.push([
    "  follow round, mean (idle; while releasing)",
    `${idle}; ${n(reads.round_mean_ms, 1)} ms`,
    "",
    "",
  ]);
  if (f.burst) {
    rows.push([
      `  ${n(f.burst.released)} released at once: fill seen p50 / max`,
      `${n(f.burst.p50, 0)} / ${n(f.burst.max, 0)} ms (${n(f.burst.seen)} seen; rounds ${n(f.burst.following.round_mean_ms, 1)} ms mean)`,
      "",
      "",
    ]);
  }
  if (f.emulator_order_book) {
    rows.push([
      "  emulator's GET /orders, in the bench process (part of a round)",
      `${n(f.emulator_order_book.ms_p50, 1)} ms for ${n(f.emulator_order_book.orders)} orders (${n(f.emulator_order_book.bytes / 1024, 0)} KB)`,
      "",
      "",
    ]);
  }
  rows.push([
    "  bench process event-loop delay while releasing (p99 / max)",
    `${n(f.phase.bench_event_loop_delay_ms.p99, 1)} / ${n(f.phase.bench_event_loop_delay_ms.max, 1)} ms`,
    "",
    "",
  ]);
  return rows;
}

/** Prints the machine and the results table. */
export function printTable(rows: Row[], machine: Machine): void {
  const header: Row = ["Measure", "Result", "Goal", ""];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => String(row[c]).length)));
  const line = (row: Row) =>
    `| ${row.map((cell, c) => String(cell).padEnd(widths[c] ?? 0)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  console.log("");
  console.log(
    `Machine: ${machine.cores} cores, ${machine.cpu_model}, ${machine.memory_gb} GB, ${machine.os}, Node ${machine.node}`,
  );
  console.log(line(header));
  console.log(rule);
  for (const row of rows) console.log(line(row));
  console.log("");
}

/** Writes latest.json, and latency.svg when the latency section left distributions. */
export function writeResults(
  dir: string,
  results: Results,
  distributions: LatencyDistribution[],
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  if (distributions.length > 0)
    writeFileSync(join(dir, "latency.svg"), latencySvg(distributions, results));
}

/** A CDF of signal-to-fill latency per rate, log-scaled latency axis; hand-written SVG. */
export function latencySvg(distributions: LatencyDistribution[], results: Results): string {
  const width = 760;
  const height = 420;
  const m = { left: 64, right: 24, top: 48, bottom: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = distributions.flatMap((d) => d.latencies).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...all))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const x = (ms: number) =>
    m.left +
    ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const y = (fraction: number) => m.top + (1 - fraction) * plotH;
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">Signal to order_filled latency, cumulative (${results.date.slice(0, 10)}, ${results.machine.cores} cores, Node ${results.machine.node})</text>`,
  );
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (const k of [1, 2, 5]) {
      const v = decade * k;
      if (v > hi) break;
      const px = x(v);
      parts.push(
        `<line x1="${px}" y1="${m.top}" x2="${px}" y2="${m.top + plotH}" stroke="#ddd"/>`,
        `<text x="${px}" y="${m.top + plotH + 16}" text-anchor="middle">${v >= 1 ? v : v.toFixed(1)}</text>`,
      );
    }
  }
  for (const f of [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
    parts.push(
      `<line x1="${m.left}" y1="${y(f)}" x2="${m.left + plotW}" y2="${y(f)}" stroke="#eee"/>`,
      `<text x="${m.left - 6}" y="${y(f) + 4}" text-anchor="end">${Math.round(f * 1000) / 10}%</text>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 14}" text-anchor="middle">latency, ms (log scale)</text>`,
  );
  distributions.forEach((d, k) => {
    const sorted = Float64Array.from(d.latencies).sort();
    const step = Math.max(1, Math.floor(sorted.length / 800));
    const points: string[] = [];
    const at = (i: number) => sorted[i] as number;
    for (let i = 0; i < sorted.length; i += step)
      points.push(`${x(at(i)).toFixed(1)},${y((i + 1) / sorted.length).toFixed(1)}`);
    points.push(`${x(at(sorted.length - 1)).toFixed(1)},${y(1).toFixed(1)}`);
    const color = colors[k % colors.length];
    const q = (p: number) => at(Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1));
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`,
    );
    parts.push(
      `<text x="${m.left + 10}" y="${m.top + 18 + k * 18}" fill="${color}">${d.label}: p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, p99.9 ${q(0.999).toFixed(1)} ms, max ${at(sorted.length - 1).toFixed(1)} ms (n=${sorted.length})</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
