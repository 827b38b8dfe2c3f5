import {
  OrderFailedEventSchema,
  OrderFilledEventSchema,
  OrderPlacedEventSchema,
  parseJson,
  ValidatedSignalEventSchema,
  validateEvent,
} from "@engine/core";
import { z } from "zod";

/** Which engine wrote a result. */
export const EngineSideSchema = z.enum(["old", "new"]);
export type EngineSide = z.infer<typeof EngineSideSchema>;

/** A validated signal, as far as the comparison needs it. Times are ms since the epoch. */
export const SignalRecordSchema = z.object({
  id: z.string(),
  /** The signal envelope's `ts`: latency is measured from here. */
  ts: z.number(),
  strategyId: z.string(),
  instrumentToken: z.number().int(),
  /** `original_signal.timestamp`: the fallback match key of results without `causation_id`. */
  signalTimestamp: z.number(),
});
export type SignalRecord = z.infer<typeof SignalRecordSchema>;

/** One engine result (`order_placed`, `order_filled`, `order_failed`). Times are ms since the epoch. */
export const ResultRecordSchema = z.object({
  engine: EngineSideSchema,
  /** Execution namespace, from the topic with any prefix removed (`shadow.paper...` → `paper`). */
  namespace: z.string(),
  id: z.string(),
  type: z.enum(["order_placed", "order_filled", "order_failed"]),
  causationId: z.string().nullable(),
  ts: z.number(),
  strategyId: z.string(),
  instrumentToken: z.number().int(),
  /** The payload's `timestamp`. */
  dataTimestamp: z.number(),
  quantity: z.number(),
  /** `order_filled` only. */
  fillPrice: z.number().nullable(),
  /** `order_filled` only; null when the engine wrote none. */
  fees: z.number().nullable(),
  /** `order_failed` only. */
  errorCode: z.string().nullable(),
});
export type ResultRecord = z.infer<typeof ResultRecordSchema>;

const ResultEventSchema = z.discriminatedUnion("type", [
  OrderPlacedEventSchema,
  OrderFilledEventSchema,
  OrderFailedEventSchema,
]);

/** A signal message's value; null when it is not a validated signal of the contract. */
export function decodeSignal(raw: string | Uint8Array): SignalRecord | null {
  const json = parseJson(raw);
  if (!json.ok) return null;
  const event = validateEvent(ValidatedSignalEventSchema, json.value);
  if (!event.ok) return null;
  const { value } = event;
  const signal = value.data.original_signal;
  return {
    id: value.id,
    ts: Date.parse(value.ts),
    strategyId: signal.strategy_id,
    instrumentToken: signal.instrument_token,
    signalTimestamp: Date.parse(signal.timestamp),
  };
}

/**
 * A result message's value; null when it is not a result of the contract (the caller counts it
 * as undecodable). `namespace` is the execution namespace of the topic it was read from.
 */
export function decodeResult(
  raw: string | Uint8Array,
  engine: EngineSide,
  namespace: string,
): ResultRecord | null {
  const json = parseJson(raw);
  if (!json.ok) return null;
  const event = validateEvent(ResultEventSchema, json.value);
  if (!event.ok) return null;
  const { value } = event;
  const common = {
    engine,
    namespace,
    id: value.id,
    causationId: value.causation_id,
    ts: Date.parse(value.ts),
    strategyId: value.data.strategy_id,
    instrumentToken: value.data.instrument_token,
    dataTimestamp: Date.parse(value.data.timestamp),
    quantity: value.data.quantity,
  };
  switch (value.type) {
    case "order_placed":
      return { ...common, type: value.type, fillPrice: null, fees: null, errorCode: null };
    case "order_filled":
      return {
        ...common,
        type: value.type,
        fillPrice: value.data.fill_price,
        fees: value.data.fees,
        errorCode: null,
      };
    case "order_failed":
      return {
        ...common,
        type: value.type,
        fillPrice: null,
        fees: null,
        errorCode: value.data.error_code,
      };
  }
}
