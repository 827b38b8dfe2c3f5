export { FakeClock } from "./fake-clock.js";
export { InMemoryInstrumentRegistry } from "./in-memory-instrument-registry.js";
export { InMemoryStrategySource } from "./in-memory-strategy-source.js";
export { type LogRecord, RecordingLogger } from "./recording-logger.js";
export { type SampleSignalOptions, sampleQuote, sampleSignal } from "./sample-signals.js";
export { seededRandom } from "./seeded-random.js";
export { describeTraderConformance, type TraderConformanceOptions } from "./trader-conformance.js";
