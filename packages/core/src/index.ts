export {
  checkPreTrade,
  NO_PRE_TRADE_LIMITS,
  PRE_TRADE_RULES,
  type PreTradeLimits,
  type PreTradeOrder,
  type PreTradeRule,
  type PreTradeUsage,
  type PreTradeVerdict,
} from "./controls/pre-trade-limits.js";
export {
  envLimit,
  envLimitOverrides,
  LIVE_DEFAULT_LIMITS,
  type PreTradeSettings,
  preTradeLimitsFor,
} from "./controls/pre-trade-settings.js";
export { reducesPosition } from "./controls/reduce-only.js";
export {
  type ControlRequest,
  type ControlRequestProblem,
  ControlRequestSchema,
  type ControlScopeKind,
  ControlScopeKindSchema,
  controlFromRequest,
  controlKey,
  controlRequestProblems,
  describeScope,
  TRADING_STATES,
  type TradingControl,
  TradingControlSchema,
  type TradingState,
  TradingStateSchema,
} from "./controls/trading-control.js";
export {
  type ControlTarget,
  controlApplies,
  type ResolvedState,
  TradingControls,
} from "./controls/trading-controls.js";
export {
  CapabilityError,
  DuplicateNamespaceError,
  EngineError,
  errorMessage,
  InvariantViolationError,
  isRetryable,
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
  CalendarDateSchema,
  type MarketCalendar,
  MarketCalendarSchema,
  type MarketHoliday,
  MarketHolidaySchema,
  type MarketSession,
  MarketSessionSchema,
  parseSessionEntry,
  SessionTimeSchema,
} from "./market-hours/market-calendar.js";
export {
  MarketCalendarFile,
  MarketCalendarFileError,
} from "./market-hours/market-calendar-file.js";
export {
  type CalendarCoverage,
  MarketHoursChecker,
  type MarketHoursMode,
  type MarketHoursOptions,
  type MarketStatus,
} from "./market-hours/market-hours-checker.js";
export { NSE_HOLIDAYS_2026, NSE_HOLIDAYS_BY_YEAR } from "./market-hours/nse-holidays.js";
export {
  CLIENT_ORDER_ID_LENGTH,
  clientOrderId,
  isClientOrderId,
} from "./orders/client-order-id.js";
export { emittedResult } from "./orders/emitted-result.js";
export {
  EXECUTION_STATUSES,
  type ExecutionState,
  ExecutionStateSchema,
  type ExecutionStatus,
  ExecutionStatusSchema,
  FINAL_EXECUTION_STATUSES,
  isFinalStatus,
  newExecutionState,
  OPEN_EXECUTION_STATUSES,
} from "./orders/execution-state.js";
export {
  type ExecutionAnomaly,
  type ExecutionEffect,
  type ExecutionEmit,
  type ExecutionEvent,
  type ExecutionPolicy,
  type Transition,
  transitionExecution,
} from "./orders/execution-transition.js";
export {
  type BrokerOrderStatus,
  BrokerOrderStatusSchema,
  type CancelOutcome,
  FINAL_BROKER_STATUSES,
  type OrderQuery,
  type OrderRef,
  type OrderStatusBatch,
  type OrderStatusReport,
  type OrderStatusReportInput,
  OrderStatusReportSchema,
} from "./orders/order-status-report.js";
export { type Clock, isoNow, systemClock } from "./ports/clock.js";
export {
  type InstrumentInfo,
  InstrumentInfoSchema,
  type InstrumentRegistry,
} from "./ports/instrument-registry.js";
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
  type PlacementDetails,
  placedResult,
  resultKey,
  type SignalToExecute,
  type SubmitResult,
  SubmitResultSchema,
} from "./trading/execution-result.js";
export { SingleFlight } from "./trading/single-flight.js";
export {
  type OrderBudget,
  SUBMIT_ONLY,
  type SubmitContext,
  type Trader,
  type TraderCapabilities,
  type TraderHealth,
} from "./trading/trader.js";
export {
  assertLiveCapable,
  type TraderOperations,
  traderOperations,
} from "./trading/trader-capabilities.js";
export type {
  MarketDataPort,
  PluginSettings,
  SqlPort,
  TraderContext,
  TraderPlugin,
} from "./trading/trader-plugin.js";
export { TraderRegistry, type TraderRegistryOptions } from "./trading/trader-registry.js";
