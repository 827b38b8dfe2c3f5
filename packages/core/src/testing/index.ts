// The JSON.parse decoder the byte scanner replaced: the reference the scanner's tests and the
// bench compare against.
export { decodeMarketTickParsed } from "../events/market-tick-decoder.js";
export { FakeClock } from "./fake-clock.js";
export { InMemoryInstrumentRegistry } from "./in-memory-instrument-registry.js";
export { InMemoryStrategySource } from "./in-memory-strategy-source.js";
export { type LogRecord, RecordingLogger } from "./recording-logger.js";
export { type SampleSignalOptions, sampleQuote, sampleSignal } from "./sample-signals.js";
export { seededRandom } from "./seeded-random.js";
export { describeTraderConformance, type TraderConformanceOptions } from "./trader-conformance.js";
export {
  asKafkaMessage,
  type FullTick,
  fullTickFactory,
  fullTickPool,
  instrumentTokens,
  marketTickEvent,
  type ValidatedSignalEventInput,
  validatedSignalEvent,
} from "./wire-messages.js";
