import type { EngineMetrics } from "../observability/metrics.js";

/** A partition's consumer lag: messages behind the high watermark at its last batch. */
export interface LagRow {
  topic: string;
  partition: string;
  lag: number;
}

/**
 * The consumer lag the Kafka transport recorded (`engine_consumer_lag`), by topic and partition.
 * A partition shows once a batch of it was read.
 */
export async function consumerLag(metrics: EngineMetrics): Promise<LagRow[]> {
  const lag = await metrics.consumerLag.get();
  return lag.values
    .map((value) => ({
      topic: String(value.labels.topic),
      partition: String(value.labels.partition),
      lag: value.value,
    }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || Number(a.partition) - Number(b.partition));
}
