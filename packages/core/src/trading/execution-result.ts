import { z } from "zod";
import type { MarketQuote } from "../events/market-tick-decoder.js";
import {
  type KnownErrorCode,
  type OrderFailed,
  OrderFailedSchema,
  OrderFilledSchema,
  OrderPlacedSchema,
  type ValidatedSignal,
} from "../events/payloads.js";

/**
 * What a trader reports for one signal: a discriminated union carrying the contract payload.
 * A business failure is a `failed` value, never a thrown error.
 */
export const ExecutionResultSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("placed"), payload: OrderPlacedSchema }),
  z.object({ kind: z.literal("filled"), payload: OrderFilledSchema }),
  z.object({ kind: z.literal("failed"), payload: OrderFailedSchema }),
]);
/** A parsed trader result (`ExecutionResultSchema`). */
export type ExecutionResult = z.infer<typeof ExecutionResultSchema>;
/** `placed`, `filled` or `failed`. */
export type ExecutionOutcome = ExecutionResult["kind"];

/**
 * What a trader answers a submission with: a result, or `unknown` when the broker gave no clear
 * answer and the order may or may not exist (a timeout, a dropped connection, a 5xx, a response
 * that is not the broker's success). Anything but an explicit refusal of the broker is `unknown`:
 * the engine then finds the order by its client order id before anything else happens.
 */
export const SubmitResultSchema = z.discriminatedUnion("kind", [
  ...ExecutionResultSchema.options,
  z.object({ kind: z.literal("unknown"), reason: z.string().min(1) }),
]);
/** A parsed answer to a submission (`SubmitResultSchema`). */
export type SubmitResult = z.infer<typeof SubmitResultSchema>;

/** A validated signal as a trader receives it: its event `id` and its payload. */
export interface SignalToExecute {
  /** The `validated_signal` event id: the de-duplication key, and the seed of order ids. */
  id: string;
  data: ValidatedSignal;
}

/** The last price the engine saw for an instrument, or null when it saw none. */
export type LastPrice = MarketQuote | null;

/** What `failedResult` needs beside the signal. */
export interface FailureDetails {
  /** The namespace that failed the signal (`execution_mode` and `broker`). */
  namespace: string;
  code: KnownErrorCode;
  /** Why, in words (`error_message`). */
  message: string;
  /** When, ISO-8601 with an offset. */
  timestamp: string;
  /** The broker's order id, when an order exists; `"N/A"` otherwise. */
  orderId?: string;
}

/**
 * The `failed` result for a signal, for traders and for the engine's own refusals
 * (market closed, trader unavailable), so every failure carries the same fields.
 */
export function failedResult(signal: SignalToExecute, details: FailureDetails): ExecutionResult {
  const original = signal.data.original_signal;
  const payload: OrderFailed = {
    strategy_id: original.strategy_id,
    instrument_token: original.instrument_token,
    signal_type: original.signal_type,
    quantity: signal.data.validated_quantity,
    price: signal.data.validated_price ?? original.price,
    order_id: details.orderId ?? "N/A",
    execution_mode: details.namespace,
    error_message: details.message,
    error_code: details.code,
    timestamp: details.timestamp,
    broker: details.namespace,
  };
  return { kind: "failed", payload };
}

/** What `placedResult` needs beyond the signal: who placed it, the broker's id, the limit, when. */
export interface PlacementDetails {
  namespace: string;
  /** The broker's order id. */
  orderId: string;
  /** The order's limit price; null for a market order. */
  price: number | null;
  timestamp: string;
}

/**
 * The `placed` result for a signal whose order a broker accepted, so every live trader fills
 * the contract payload the same way.
 */
export function placedResult(signal: SignalToExecute, details: PlacementDetails): ExecutionResult {
  const original = signal.data.original_signal;
  return {
    kind: "placed",
    payload: {
      order_id: details.orderId,
      instrument_token: original.instrument_token,
      signal_type: original.signal_type,
      quantity: signal.data.validated_quantity,
      price: details.price,
      timestamp: details.timestamp,
      broker: details.namespace,
      status: "PLACED",
      strategy_id: original.strategy_id,
      execution_mode: details.namespace,
    },
  };
}

/** The Kafka key of every result of a signal: `strategy_id:instrument_token`. */
export function resultKey(signal: SignalToExecute): string {
  const original = signal.data.original_signal;
  return `${original.strategy_id}:${original.instrument_token}`;
}
