// The results: a table in the terminal, bench/results/latest.json, and bench/results/latency.svg.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const GOALS = {
  tick_ingest_per_s: { min: 100_000, text: ">= 100,000/s" },
  tick_ingest_ratio_vs_kafkajs: { min: 0.9, text: ">= 0.90" },
  signal_latency_p99_ms: { max: 10, text: "p99 <= 10 ms at 100/s" },
  max_sustained_signals_per_s: { min: 1_000, text: ">= 1,000/s" },
  tick_decode_per_s: { min: 1_000_000, text: ">= 1,000,000/s" },
  rss_growth_pct: { max: 10, text: "within 10 %" },
};

const n = (value, digits = 0) =>
  value === null || value === undefined
    ? "n/a"
    : Number(value).toLocaleString("en-US", {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });

function verdict(goal, value) {
  if (value === null || value === undefined) return "";
  if (goal.min !== undefined) return value >= goal.min ? "met" : "NOT met";
  return value <= goal.max ? "met" : "NOT met";
}

/** Rows of the results table: [measure, result, goal, verdict]. */
export function tableRows(results) {
  const rows = [];
  const r = results;
  if (r.tick_ingest_per_s !== undefined) {
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
  }
  if (r.signal_latency_ms) {
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
    if (r.signal_latency_p99_ratio_vs_kafkajs !== undefined) {
      rows.push([
        "  engine p99 / relay p99 at 100/s",
        n(r.signal_latency_p99_ratio_vs_kafkajs, 2),
        "",
        "",
      ]);
    }
    rows.push([
      "Highest signal rate sustained",
      r.max_sustained_signals_per_s === null
        ? "below 500/s"
        : `${n(r.max_sustained_signals_per_s)}/s`,
      GOALS.max_sustained_signals_per_s.text,
      verdict(GOALS.max_sustained_signals_per_s, r.max_sustained_signals_per_s ?? 0),
    ]);
  }
  if (r.tick_decode_per_s !== undefined) {
    const hot = r.hot_paths;
    rows.push([
      "Tick decode + price cache, in process",
      `${n(r.tick_decode_per_s)}/s`,
      GOALS.tick_decode_per_s.text,
      verdict(GOALS.tick_decode_per_s, r.tick_decode_per_s),
    ]);
    rows.push([
      "  (JSON.parse decoder, before)",
      `${n(hot.tick_decode_json_parse_per_s)}/s`,
      "",
      "",
    ]);
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
  }
  if (r.rss_mb_start !== undefined) {
    rows.push([
      `Engine RSS over ${n(r.memory.soak_minutes, 0)} min (after ${r.memory.warmup_s} s warm-up)`,
      `${n(r.rss_mb_start, 1)} -> ${n(r.rss_mb_end, 1)} MB (${r.memory.rss_growth_pct >= 0 ? "+" : ""}${n(r.memory.rss_growth_pct, 1)} %; ${n(r.memory.rss_mb_min, 0)}-${n(r.memory.rss_mb_max, 0)} MB)`,
      GOALS.rss_growth_pct.text,
      verdict(GOALS.rss_growth_pct, Math.abs(r.memory.rss_growth_pct)),
    ]);
  }
  return rows;
}

export function printTable(rows, machine) {
  const header = ["Measure", "Result", "Goal", ""];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => String(row[c]).length)));
  const line = (row) => `| ${row.map((cell, c) => String(cell).padEnd(widths[c])).join(" | ")} |`;
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

export function writeResults(dir, results, distributions) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  if (distributions?.length)
    writeFileSync(join(dir, "latency.svg"), latencySvg(distributions, results));
}

/** A CDF of signal-to-fill latency per rate, log-scaled latency axis; hand-written SVG. */
export function latencySvg(distributions, results) {
  const width = 760;
  const height = 420;
  const m = { left: 64, right: 24, top: 48, bottom: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = distributions.flatMap((d) => d.latencies).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...all))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const x = (ms) =>
    m.left +
    ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const y = (fraction) => m.top + (1 - fraction) * plotH;
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  const parts = [];
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
    const points = [];
    for (let i = 0; i < sorted.length; i += step)
      points.push(`${x(sorted[i]).toFixed(1)},${y((i + 1) / sorted.length).toFixed(1)}`);
    points.push(`${x(sorted[sorted.length - 1]).toFixed(1)},${y(1).toFixed(1)}`);
    const color = colors[k % colors.length];
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`,
    );
    parts.push(
      `<text x="${m.left + 10}" y="${m.top + 18 + k * 18}" fill="${color}">${d.label}: p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, p99.9 ${q(0.999).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms (n=${sorted.length})</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
