// The app's composition root and the pieces it is built from, for embedding and for the
// benchmarks (`bench/` at the repository root), which drive the pipelines without Kafka.
export { Engine, type EngineOptions, type RunningEngine } from "./app/engine.js";
export { type AnyTraderPlugin, SHIPPED_PLUGINS } from "./app/plugins.js";
export { type DatabaseHandle, openDatabase } from "./db/database.js";
export {
  ExecutionService,
  type ExecutionServiceOptions,
} from "./execution/execution-service.js";
export { InstanceLease } from "./execution/instance-lease.js";
export { ExecutionJournal, type ExecutionJournalOptions } from "./journal/execution-journal.js";
export { createLogger } from "./observability/logger.js";
export { EngineMetrics } from "./observability/metrics.js";
export { MarketData } from "./pipeline/market-data.js";
export { PriceCache } from "./pipeline/price-cache.js";
export { SignalIntake, type SignalIntakeOptions } from "./pipeline/signal-intake.js";
export { type TickHandlerDeps, tickSubscription } from "./pipeline/tick-handler.js";
export type {
  InboundBatch,
  InboundMessage,
  OutboundMessage,
  Subscription,
} from "./transport/transport.js";
