import { z } from "zod";

/**
 * The state of an execution: one validated signal on one namespace, from the engine's claim to
 * its end.
 *
 * | status             | meaning                                                              | final |
 * |--------------------|----------------------------------------------------------------------|-------|
 * | `pending`          | claimed by the engine, not yet handed to the trader: safe to submit  | no    |
 * | `submitted`        | handed to the trader, its answer not yet in: the order may be on its way | no |
 * | `unknown`          | the broker may or may not have the order: resolved only by the broker's word (a query) | no |
 * | `accepted`         | the broker has the order (`order_placed` is out), nothing filled     | no    |
 * | `partially_filled` | part of it is filled, the rest is working                            | no    |
 * | `filled`           | all of it filled: `order_filled`                                     | yes   |
 * | `rejected`         | refused (by the engine, the trader or the broker): `order_failed`, or `order_filled` with the part filled before | yes |
 * | `cancelled`        | cancelled: `order_failed`, or `order_filled` with the part filled before | yes |
 * | `expired`          | its time in force ran out: `order_failed` `ORDER_EXPIRED`, or `order_filled` with the part filled | yes |
 */
export const EXECUTION_STATUSES = [
  "pending",
  "submitted",
  "unknown",
  "accepted",
  "partially_filled",
  "filled",
  "rejected",
  "cancelled",
  "expired",
] as const;
/** One of `EXECUTION_STATUSES`. */
export const ExecutionStatusSchema = z.enum(EXECUTION_STATUSES);
/** The status of an execution (see the table above `EXECUTION_STATUSES`). */
export type ExecutionStatus = z.infer<typeof ExecutionStatusSchema>;

/** Statuses an execution never leaves; each has emitted exactly one terminal event. */
export const FINAL_EXECUTION_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  "filled",
  "rejected",
  "cancelled",
  "expired",
]);

/** Whether an execution has ended. */
export function isFinalStatus(status: ExecutionStatus): boolean {
  return FINAL_EXECUTION_STATUSES.has(status);
}

/** Statuses of an execution whose order is (or may be) at the broker and must be followed. */
export const OPEN_EXECUTION_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  "unknown",
  "accepted",
  "partially_filled",
]);

/**
 * Everything the transition function needs to know about an execution; journaled as JSON after
 * every transition. Times are epoch milliseconds.
 */
export const ExecutionStateSchema = z.object({
  status: ExecutionStatusSchema,
  /** The order's quantity: the signal's `validated_quantity`. */
  quantity: z.number().int().nonnegative(),
  /** The broker's order id, once the broker named it (an answer or a status report). */
  orderId: z.string().nullable(),
  /** Units filled so far; never decreases, never exceeds `quantity`. */
  filledQuantity: z.number().int().nonnegative(),
  /** Average price of the filled units; null while nothing is filled. */
  averagePrice: z.number().nullable(),
  /** Limit price of the order at the broker, null for a market order or while unknown. */
  limitPrice: z.number().nullable(),
  /** Submissions handed to the trader so far. */
  attempts: z.number().int().nonnegative(),
  /** Whether `order_placed` was emitted (it is, once, for every order the broker had). */
  placed: z.boolean(),
  /**
   * The trader's call of the latest submission is still running in the owning process: until it
   * ends, the order may still be sent, so no answer "absent" can be conclusive.
   */
  callOutstanding: z.boolean(),
  /**
   * From when a broker's "absent" is conclusive: the end of the last submission's call (or the
   * death of the process that made it) plus the trader's `orderVisibilityMs`. Null when no
   * submission can be outstanding.
   */
  absentConclusiveAfter: z.number().nullable(),
  /** When the broker accepted the order, for its time in force; null until then. */
  acceptedAt: z.number().nullable(),
  /** A cancel the engine asked for: the code its end carries when nothing was filled. */
  cancel: z.object({ code: z.string(), message: z.string(), at: z.number() }).nullable(),
});
/** A parsed execution state (`ExecutionStateSchema`), as the journal stores it. */
export type ExecutionState = z.infer<typeof ExecutionStateSchema>;

/** The state of an execution just claimed: `pending`, nothing sent. */
export function newExecutionState(quantity: number): ExecutionState {
  return {
    status: "pending",
    quantity,
    orderId: null,
    filledQuantity: 0,
    averagePrice: null,
    limitPrice: null,
    attempts: 0,
    placed: false,
    callOutstanding: false,
    absentConclusiveAfter: null,
    acceptedAt: null,
    cancel: null,
  };
}
