export {
  DuplicateNamespaceError,
  EngineError,
  RegistryNotInitializedError,
  TraderUnavailableError,
  UnknownNamespaceError,
} from "./errors.js";
export {
  type DecodeIssue,
  type DecodeResult,
  decodeEvent,
  EventDecodeError,
  encodeEvent,
  parseJson,
  toText,
  validateEvent,
} from "./events/decode.js";
export {
  type ChildEnvelopeInput,
  childEnvelope,
  ENGINE_SOURCE,
  ENVELOPE_VERSION,
  type EngineEvent,
  EngineEventSchema,
  type Envelope,
  type EnvelopeLineage,
  EnvelopeSchema,
  EVENT_TYPES,
  type EventType,
  EventTypeSchema,
  type MarketTickEvent,
  MarketTickEventSchema,
  type OrderFailedEvent,
  OrderFailedEventSchema,
  type OrderFilledEvent,
  OrderFilledEventSchema,
  type OrderPlacedEvent,
  OrderPlacedEventSchema,
  type ResultEvent,
  type ValidatedSignalEvent,
  ValidatedSignalEventSchema,
} from "./events/envelope.js";
export { newEventId } from "./events/event-id.js";
export { decodeMarketTick, type MarketQuote } from "./events/market-tick-decoder.js";
export {
  ERROR_CODES,
  type KnownErrorCode,
  type MarketTick,
  MarketTickSchema,
  type OrderFailed,
  OrderFailedSchema,
  type OrderFilled,
  OrderFilledSchema,
  type OrderPlaced,
  OrderPlacedSchema,
  type Side,
  SideSchema,
  type SignalType,
  SignalTypeSchema,
  TimestampSchema,
  type TradingSignal,
  TradingSignalSchema,
  type ValidatedSignal,
  ValidatedSignalSchema,
} from "./events/payloads.js";
export {
  MarketHoursChecker,
  type MarketHoursMode,
  type MarketHoursOptions,
  type MarketStatus,
} from "./market-hours/market-hours-checker.js";
export { NSE_HOLIDAYS_2026 } from "./market-hours/nse-holidays.js";
export { type Clock, isoNow, systemClock } from "./ports/clock.js";
export { type Logger, silentLogger } from "./ports/logger.js";
export {
  type StrategyConfig,
  StrategyConfigSchema,
  type StrategyConfigSource,
} from "./ports/strategy-config-source.js";
export {
  ExecutionRouter,
  type ExecutionRouterOptions,
  type RouteTarget,
  type RoutingDecision,
  type StrategyLookup,
} from "./routing/execution-router.js";
export {
  ENGINE_SECRET_VARIABLES,
  type EngineSettings,
  EngineSettingsSchema,
} from "./settings/engine-settings.js";
export {
  type Env,
  envBoolean,
  envEnum,
  envInteger,
  envList,
  envNumber,
  envOptional,
  loadAllSettings,
  loadSettings,
  SettingsError,
  type SettingsIssue,
} from "./settings/env.js";
export { assertNamespace, MARKET_TICKS_TOPIC, TopicMap } from "./topics/topic-map.js";
export {
  type ExecutionOutcome,
  type ExecutionResult,
  ExecutionResultSchema,
  type FailureDetails,
  failedResult,
  type LastPrice,
  resultKey,
  type SignalToExecute,
} from "./trading/execution-result.js";
export type { Trader, TraderHealth } from "./trading/trader.js";
export type {
  PluginSettings,
  SqlPort,
  TraderContext,
  TraderPlugin,
} from "./trading/trader-plugin.js";
export { TraderRegistry, type TraderRegistryOptions } from "./trading/trader-registry.js";
