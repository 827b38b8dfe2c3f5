// The engine's /metrics (Prometheus text format) with labels kept, and the differences between two
// scrapes that the sections print: a histogram's mean over an interval, per label value.

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** One sample of a scrape: a metric name, its labels, its value. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The samples of a Prometheus text exposition: `[{ name, labels: { key: value }, value }]`.
 * Comment and blank lines are skipped; a line that is not a sample is skipped too (the engine's
 * prom-client writes none).
 */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0 || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line.trim());
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(LABEL)) {
      if (key !== undefined && value !== undefined) labels[key] = value;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels include every pair of `where`. */
export function metricValue(
  samples: readonly MetricSample[],
  name: string,
  where: Record<string, string> = {},
): number {
  let total = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(where).every(([key, value]) => sample.labels[key] === value)) {
      total += sample.value;
    }
  }
  return total;
}

/** A histogram's observations between two scrapes: how many, their mean and sum in ms. */
export interface HistogramDelta {
  count: number;
  mean_ms: number | null;
  sum_ms: number;
}

/**
 * A histogram between two scrapes: observations, and their mean in milliseconds (null with none).
 * `where` picks label values (for example `{ stage: "journal" }`); unmatched labels are summed.
 */
export function histogramDelta(
  before: readonly MetricSample[],
  after: readonly MetricSample[],
  name: string,
  where: Record<string, string> = {},
): HistogramDelta {
  const count =
    metricValue(after, `${name}_count`, where) - metricValue(before, `${name}_count`, where);
  const sum = metricValue(after, `${name}_sum`, where) - metricValue(before, `${name}_sum`, where);
  return {
    count,
    mean_ms: count > 0 ? Math.round((sum / count) * 1e5) / 100 : null,
    sum_ms: Math.round(sum * 1e5) / 100,
  };
}

/** Where a signal batch's time goes in the engine: the stages of `engine_stage_seconds`. */
export const ENGINE_STAGES = ["decode", "decide", "execute", "journal", "produce"] as const;
/** One of `ENGINE_STAGES`. */
export type EngineStage = (typeof ENGINE_STAGES)[number];

/** The engine's own share of a phase: per execution, and per batch and stage (ms). */
export interface EngineShare {
  execution_mean_ms: number | null;
  executions: number;
  stages_mean_ms_per_batch: Record<EngineStage, { batches: number; mean_ms: number | null }>;
}

/**
 * Per stage of `engine_stage_seconds`, the batches timed between two scrapes and the mean time
 * per batch (ms); with `engine_execution_seconds` (per execution: from its batch read to its
 * first result acknowledged by Kafka), the engine's own share.
 */
export function engineShare(
  before: readonly MetricSample[],
  after: readonly MetricSample[],
): EngineShare {
  const stages = {} as EngineShare["stages_mean_ms_per_batch"];
  for (const stage of ENGINE_STAGES) {
    const { count, mean_ms } = histogramDelta(before, after, "engine_stage_seconds", { stage });
    stages[stage] = { batches: count, mean_ms };
  }
  const execution = histogramDelta(before, after, "engine_execution_seconds");
  return {
    execution_mean_ms: execution.mean_ms,
    executions: execution.count,
    stages_mean_ms_per_batch: stages,
  };
}
