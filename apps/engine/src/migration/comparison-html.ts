import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { ComparisonReport, ComparisonSamples } from "./comparison-report.js";
import { formatComparison } from "./comparison-text.js";

/** A vega-lite spec rendered to static SVG (no script, nothing fetched when the page opens). */
async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function histogram(
  title: string,
  values: { value: number; engine: string }[],
  axis: string,
): TopLevelSpec {
  return {
    title,
    width: 520,
    height: 220,
    data: { values },
    mark: { type: "bar", opacity: 0.7 },
    encoding: {
      x: { field: "value", bin: { maxbins: 40 }, title: axis },
      y: { aggregate: "count", title: "results", stack: null },
      color: { field: "engine", title: "engine" },
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The report as one self-contained HTML page: the same tables as the terminal, then latency and
 * fill-price-difference histograms as inline SVG (vega-lite, rendered here).
 */
export async function comparisonHtml(
  report: ComparisonReport,
  samples: ComparisonSamples,
): Promise<string> {
  const latency = [
    ...samples.latencyMs.old.map((value) => ({ value, engine: "old" })),
    ...samples.latencyMs.new.map((value) => ({ value, engine: "new" })),
  ];
  const prices = samples.fillPriceBps.map((value) => ({ value, engine: "new − old" }));
  const charts = [
    latency.length > 0
      ? await svgOf(histogram("Latency: result ts − signal ts", latency, "ms"))
      : "<p>No latency to chart.</p>",
    prices.length > 0
      ? await svgOf(histogram("Fill price difference, new vs old", prices, "bps"))
      : "<p>No pair filled by both engines.</p>",
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>engine compare ${escapeHtml(report.window.from)} – ${escapeHtml(report.window.to)}</title>
<style>body{font-family:sans-serif;margin:2em}pre{font-size:12px}</style></head>
<body><h1>Old vs new engine</h1>
<pre>${escapeHtml(formatComparison(report))}</pre>
${charts.map((chart) => `<figure>${chart}</figure>`).join("\n")}
<details><summary>JSON</summary><pre>${escapeHtml(JSON.stringify(report, null, 2))}</pre></details>
</body></html>
`;
}
