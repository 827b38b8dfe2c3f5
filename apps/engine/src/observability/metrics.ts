import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The engine's Prometheus metrics, on a registry of its own (no global state). */
export class EngineMetrics {
  readonly registry = new Registry();

  readonly signalsReceived = new Counter({
    name: "engine_signals_total",
    help: "Validated signals received, by what the engine decided",
    labelNames: ["disposition"] as const,
    registers: [this.registry],
  });

  readonly results = new Counter({
    name: "engine_results_total",
    help: "Execution results published, by namespace, outcome and error code",
    labelNames: ["namespace", "outcome", "error_code"] as const,
    registers: [this.registry],
  });

  readonly republished = new Counter({
    name: "engine_results_republished_total",
    help: "Stored results published again for a redelivered signal (no trader called)",
    labelNames: ["namespace"] as const,
    registers: [this.registry],
  });

  readonly executionSeconds = new Histogram({
    name: "engine_execution_seconds",
    help: "From a signal's arrival to the acknowledgement of its results",
    labelNames: ["namespace"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly ticks = new Counter({
    name: "engine_ticks_total",
    help: "Market ticks applied to the price cache",
    registers: [this.registry],
  });

  readonly ticksPerSecond = new Gauge({
    name: "engine_ticks_per_second",
    help: "Ticks applied per second over the last scrape interval",
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: "engine_dead_letters_total",
    help: "Messages sent to a dead-letter topic",
    labelNames: ["topic"] as const,
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: "engine_consumer_lag",
    help: "Messages behind the high watermark at the last batch, by topic and partition",
    labelNames: ["topic", "partition"] as const,
    registers: [this.registry],
  });

  readonly databaseRetries = new Counter({
    name: "engine_database_retries_total",
    help: "Batches retried because the database could not be reached",
    registers: [this.registry],
  });

  #lastTickCount = 0;
  #lastTickAt = Date.now();

  /** Prometheus text exposition, refreshing derived gauges first. */
  async render(): Promise<string> {
    const now = Date.now();
    const count = (await this.ticks.get()).values[0]?.value ?? 0;
    const seconds = (now - this.#lastTickAt) / 1000;
    if (seconds > 0) this.ticksPerSecond.set((count - this.#lastTickCount) / seconds);
    this.#lastTickCount = count;
    this.#lastTickAt = now;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
