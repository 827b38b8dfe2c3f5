import { z } from "zod";
import {
  MarketTickSchema,
  OrderFailedSchema,
  OrderFilledSchema,
  OrderPlacedSchema,
  TimestampSchema,
  ValidatedSignalSchema,
} from "./payloads.js";

/** Every event `type` of the platform's envelope (`../shared/contract/`), read by this engine or not. */
export const EVENT_TYPES = [
  "market_tick",
  "trading_signal",
  "validated_signal",
  "rejected_signal",
  "order_placed",
  "order_filled",
  "order_failed",
  "pnl_snapshot",
  "system_error",
] as const;
/** One of `EVENT_TYPES`. */
export const EventTypeSchema = z.enum(EVENT_TYPES);
/** An event `type` of the contract, such as `"validated_signal"`. */
export type EventType = z.infer<typeof EventTypeSchema>;

/** The version of the envelope this engine writes. */
export const ENVELOPE_VERSION = 1;

/** The `source` this engine writes on every event. */
export const ENGINE_SOURCE = "trading_engine";

const envelopeFields = {
  id: z.string().min(1),
  ts: TimestampSchema,
  key: z.string(),
  source: z.string(),
  broker: z.string(),
  version: z.number().int(),
  correlation_id: z.string().min(1),
  causation_id: z.string().nullable().default(null),
  trace_id: z.string(),
  parent_trace_id: z.string().nullable().default(null),
};

/** The envelope of one event type with its typed payload. */
function envelopeOf<T extends EventType, D extends z.ZodType>(type: T, data: D) {
  return z.object({ ...envelopeFields, type: z.literal(type), data });
}

/** Any envelope, payload left unparsed: used to route by `type` and to inherit lineage. */
export const EnvelopeSchema = z.object({
  ...envelopeFields,
  type: EventTypeSchema,
  data: z.record(z.string(), z.unknown()),
});
/** An envelope of any type with its payload unparsed (`EnvelopeSchema`). */
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** A `market_tick` event of the market feed: envelope and `MarketTickSchema` payload. */
export const MarketTickEventSchema = envelopeOf("market_tick", MarketTickSchema);
/** A `validated_signal` event of the risk manager, the engine's input. */
export const ValidatedSignalEventSchema = envelopeOf("validated_signal", ValidatedSignalSchema);
/** An `order_placed` event the engine writes to `{ns}.orders.submitted`. */
export const OrderPlacedEventSchema = envelopeOf("order_placed", OrderPlacedSchema);
/** An `order_filled` event the engine writes to `{ns}.orders.filled`. */
export const OrderFilledEventSchema = envelopeOf("order_filled", OrderFilledSchema);
/** An `order_failed` event the engine writes to `{ns}.orders.failed`. */
export const OrderFailedEventSchema = envelopeOf("order_failed", OrderFailedSchema);

/** A parsed `market_tick` event (`MarketTickEventSchema`). */
export type MarketTickEvent = z.infer<typeof MarketTickEventSchema>;
/** A parsed `validated_signal` event (`ValidatedSignalEventSchema`). */
export type ValidatedSignalEvent = z.infer<typeof ValidatedSignalEventSchema>;
/** A parsed `order_placed` event (`OrderPlacedEventSchema`). */
export type OrderPlacedEvent = z.infer<typeof OrderPlacedEventSchema>;
/** A parsed `order_filled` event (`OrderFilledEventSchema`). */
export type OrderFilledEvent = z.infer<typeof OrderFilledEventSchema>;
/** A parsed `order_failed` event (`OrderFailedEventSchema`). */
export type OrderFailedEvent = z.infer<typeof OrderFailedEventSchema>;

/** The events this engine reads or writes, discriminated by `type`. */
export const EngineEventSchema = z.discriminatedUnion("type", [
  MarketTickEventSchema,
  ValidatedSignalEventSchema,
  OrderPlacedEventSchema,
  OrderFilledEventSchema,
  OrderFailedEventSchema,
]);
/** A parsed event this engine reads or writes (`EngineEventSchema`). */
export type EngineEvent = z.infer<typeof EngineEventSchema>;

/** What an engine output is made of, before the envelope fields are filled in. */
export type ResultEvent = OrderPlacedEvent | OrderFilledEvent | OrderFailedEvent;

/** The lineage fields a child inherits: any parsed envelope qualifies. */
export type EnvelopeLineage = Pick<Envelope, "id" | "correlation_id" | "trace_id">;

/**
 * The fields of a new event that `childEnvelope` does not inherit: its own `id` (a UUID), `type`,
 * `ts` (ISO-8601 with an offset), Kafka `key`, `broker` (the namespace that wrote it) and payload.
 */
export interface ChildEnvelopeInput<T extends EventType, D> {
  id: string;
  type: T;
  ts: string;
  key: string;
  broker: string;
  data: D;
}

/**
 * Builds an event caused by `parent`: it keeps the flow's `correlation_id` and `trace_id`, and
 * points `causation_id` and `parent_trace_id` at the parent's `id`.
 */
export function childEnvelope<T extends EventType, D>(
  parent: EnvelopeLineage,
  child: ChildEnvelopeInput<T, D>,
) {
  return {
    id: child.id,
    type: child.type,
    ts: child.ts,
    key: child.key,
    source: ENGINE_SOURCE,
    broker: child.broker,
    version: ENVELOPE_VERSION,
    correlation_id: parent.correlation_id,
    causation_id: parent.id,
    trace_id: parent.trace_id,
    parent_trace_id: parent.id,
    data: child.data,
  };
}
