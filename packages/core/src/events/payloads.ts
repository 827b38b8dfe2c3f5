import { z } from "zod";

/** ISO-8601 with an offset (`Z` or `+05:30`), any fractional precision. Kept as the string. */
export const TimestampSchema = z.iso.datetime({ offset: true });

/** A strategy's decision: `BUY`, `SELL`, or `HOLD` (no order). */
export const SignalTypeSchema = z.enum(["BUY", "SELL", "HOLD"]);
/** `BUY`, `SELL` or `HOLD` (`SignalTypeSchema`). */
export type SignalType = z.infer<typeof SignalTypeSchema>;

/** The side of an order or a fill: `BUY` or `SELL`. */
export const SideSchema = z.enum(["BUY", "SELL"]);
/** `BUY` or `SELL` (`SideSchema`). */
export type Side = z.infer<typeof SideSchema>;

const InstrumentToken = z.number().int().positive();
const Price = z.number().finite();

/** `market_tick` payload: only the fields the engine reads are declared; the rest is kept. */
export const MarketTickSchema = z.looseObject({
  instrument_token: InstrumentToken,
  last_price: Price,
  timestamp: TimestampSchema.optional(),
});
/** A parsed `market_tick` payload: `instrument_token` (Kite's), `last_price` (rupees), optional `timestamp`. */
export type MarketTick = z.infer<typeof MarketTickSchema>;

/** A strategy's raw decision, carried inside a validated signal. */
export const TradingSignalSchema = z.object({
  strategy_id: z.string().min(1),
  instrument_token: InstrumentToken,
  signal_type: SignalTypeSchema,
  quantity: z.number().int().positive(),
  price: Price.nullable(),
  timestamp: TimestampSchema,
  confidence: z.number().nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});
/** A parsed trading signal (`TradingSignalSchema`); `quantity` in shares, `price` in rupees or null. */
export type TradingSignal = z.infer<typeof TradingSignalSchema>;

/** `validated_signal` payload: the risk manager's approval of a trading signal. */
export const ValidatedSignalSchema = z.object({
  original_signal: TradingSignalSchema,
  /** The quantity to trade: what the risk manager approved, not what the strategy asked. */
  validated_quantity: z.number().int().nonnegative(),
  validated_price: Price.nullable(),
  risk_checks: z.record(z.string(), z.boolean()),
  timestamp: TimestampSchema,
});
/** A parsed `validated_signal` payload (`ValidatedSignalSchema`). */
export type ValidatedSignal = z.infer<typeof ValidatedSignalSchema>;

/** `order_placed`: a live broker accepted the order. */
export const OrderPlacedSchema = z.object({
  order_id: z.string().min(1),
  instrument_token: InstrumentToken,
  signal_type: SignalTypeSchema,
  quantity: z.number().int().nonnegative(),
  price: Price.nullable(),
  timestamp: TimestampSchema,
  broker: z.string().min(1),
  status: z.literal("PLACED"),
  strategy_id: z.string().min(1),
  execution_mode: z.string().min(1),
});
/** A parsed `order_placed` payload (`OrderPlacedSchema`). */
export type OrderPlaced = z.infer<typeof OrderPlacedSchema>;

/**
 * `order_filled`: the order is done at the broker with `quantity` shares filled (all of them, or
 * the part that filled before it was cancelled, expired or rejected) at `fill_price`, the average
 * price in rupees; `fees` in rupees, null when the broker gives none.
 */
export const OrderFilledSchema = z.object({
  order_id: z.string().min(1),
  instrument_token: InstrumentToken,
  quantity: z.number().int().positive(),
  fill_price: Price,
  timestamp: TimestampSchema,
  broker: z.string().min(1),
  side: SideSchema,
  strategy_id: z.string().min(1),
  signal_type: SignalTypeSchema,
  execution_mode: z.string().min(1),
  fees: z.number().nullable(),
});
/** A parsed `order_filled` payload (`OrderFilledSchema`). */
export type OrderFilled = z.infer<typeof OrderFilledSchema>;

/**
 * Machine-readable failure codes the engine and its traders write (the contract's list, with the
 * codes of the engine's own controls). Each is documented, with what an operator does about it,
 * in `apps/engine/docs/error-codes.md`.
 */
export const ERROR_CODES = [
  "MARKET_CLOSED",
  "NO_MARKET_PRICE",
  "INSTRUMENT_NOT_FOUND",
  "INVALID_QUANTITY",
  "INVALID_SIGNAL",
  "BROKER_REJECTED",
  "BROKER_UNAVAILABLE",
  "TRADER_UNAVAILABLE",
  "ORDER_EXPIRED",
  "TRADING_HALTED",
  "REDUCE_ONLY",
  "RISK_REJECTED",
  "STALE_SIGNAL",
  "RATE_LIMITED",
] as const;
/** One of `ERROR_CODES`. */
export type KnownErrorCode = (typeof ERROR_CODES)[number];

/**
 * `order_failed`: no order was placed, or the order ended with nothing filled; `error_code` says
 * why (see `ERROR_CODES`), `error_message` in words.
 */
export const OrderFailedSchema = z.object({
  strategy_id: z.string().min(1),
  instrument_token: InstrumentToken,
  signal_type: SignalTypeSchema,
  quantity: z.number().int().nonnegative(),
  price: Price.nullable(),
  /** `"N/A"` when no broker order exists. */
  order_id: z.string().min(1),
  execution_mode: z.string().min(1),
  error_message: z.string(),
  /** Open-ended on the wire so newer producers may add codes; the engine writes `KnownErrorCode`. */
  error_code: z.string().min(1),
  timestamp: TimestampSchema,
  broker: z.string().min(1),
});
/** A parsed `order_failed` payload (`OrderFailedSchema`). */
export type OrderFailed = z.infer<typeof OrderFailedSchema>;
