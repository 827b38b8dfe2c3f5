import type {
  CancelOutcome,
  OrderQuery,
  OrderRef,
  OrderStatusBatch,
} from "../orders/order-status-report.js";
import type { LastPrice, SignalToExecute, SubmitResult } from "./execution-result.js";

/** A trader's own view of whether it can take orders now. */
export type TraderHealth = { status: "ready" } | { status: "unavailable"; reason: string };

/**
 * What a trader can do beyond submitting, declared rather than guessed from which methods exist
 * (a missing declaration means "cannot"; the conformance kit checks every declared one). A live
 * trader must at least find its orders by client order id, or an ambiguous submission could never
 * be resolved.
 */
export interface TraderCapabilities {
  /**
   * `executeOrder` may answer `placed`: the order's end then comes from status reports, so the
   * trader implements `queryOrder` (and `orderStatusReports` when `batchStatusReports`).
   */
  readonly followsOrders: boolean;
  /** `queryOrder` finds an order by its client order id (and by the broker's id when known). */
  readonly queryByClientOrderId: boolean;
  /** `orderStatusReports` answers for many open orders with one look at the broker. */
  readonly batchStatusReports: boolean;
  /** `cancelOrder` cancels an open order. */
  readonly cancel: boolean;
  /**
   * Milliseconds after a submission's call ended during which the order may still be missing from
   * the broker's answers (order books lag): the engine concludes "no order was created" only from
   * an answer asked after it. Zero for a trader whose answers are never stale.
   */
  readonly orderVisibilityMs: number;
  /** How often the engine may ask for status reports of open orders, in milliseconds. */
  readonly statusPollIntervalMs: number;
  /**
   * The longest `executeOrder` may take to answer, in milliseconds: its wait for the broker's rate
   * limit plus its client's timeout. The engine treats a submission as unanswered (its order's
   * state `unknown`) only after the larger of this and its own `EXECUTION_TIMEOUT_MS`. Absent: the
   * engine's timeout alone.
   */
  readonly maxSubmitMs?: number;
  /**
   * The broker's order limits for the whole account (order requests per second and per minute,
   * placements and cancels alike; placements per day), which every engine instance trading the
   * namespace shares: the engine keeps the sum of all instances' requests under them (through its
   * database), on top of the trader's own per-process limiter. Absent: no shared budget (a
   * simulator).
   */
  readonly orderBudget?: OrderBudget;
}

/** Orders a broker account takes, per window; each a positive integer. */
export interface OrderBudget {
  /** Order requests (placements and cancels) per second. */
  readonly perSecond: number;
  /** Order requests (placements and cancels) per minute. */
  readonly perMinute: number;
  /**
   * Order requests (placements and cancels) per 30 minutes, where the broker has such a window
   * (Upstox: 2,000 for an algo not registered with the exchange). Absent: none.
   */
  readonly perHalfHour?: number;
  /** Placements per trading day (IST). */
  readonly perDay: number;
}

/** A trader that can only submit (a simulator that fills at once). */
export const SUBMIT_ONLY: TraderCapabilities = Object.freeze({
  followsOrders: false,
  queryByClientOrderId: false,
  batchStatusReports: false,
  cancel: false,
  orderVisibilityMs: 0,
  statusPollIntervalMs: 1_000,
});

/** What the engine hands a trader with every submission. */
export interface SubmitContext {
  /**
   * The client order id made by core (`clientOrderId(signal.id, namespace)`): the trader sends it
   * in its broker's free-text field (Kite's `tag`), so the order can be found by it later.
   */
  clientOrderId: string;
  /**
   * Fires when the engine may no longer send this order (it lost its claim on the execution, or
   * is stopping): a trader reads `abort.aborted` synchronously right before sending (after any
   * queue or rate-limit wait), and answers `failed` `TRADER_UNAVAILABLE` without sending when it
   * is true. The engine works `aborted` out when it is read, so a read just before sending is
   * current even after the process was frozen. Once the request is sent, it runs to its end.
   */
  abort: AbortSignal;
}

/**
 * Executes validated signals on one broker (the Strategy pattern's strategy), second version:
 * commands (submit, cancel) and queries with no side effect (one order, many orders). One
 * instance per namespace; the engine decides where a signal goes and what happens after every
 * answer (the execution state machine in `@engine/core`), the trader only how to talk to its
 * broker. Business outcomes are values; a method rejects only on a bug.
 */
export interface Trader {
  /** The namespace this trader executes for (`paper`, `zerodha`, ...); also `execution_mode`. */
  readonly executionMode: string;

  /** What it can do; see `TraderCapabilities`. */
  readonly capabilities: TraderCapabilities;

  /**
   * Prepares the trader (sessions, caches). Resolves `true` when ready, `false` when it cannot
   * trade. Idempotent: a second call resolves as the first did without redoing the work.
   */
  initialize(): Promise<boolean>;

  /** Releases resources. Idempotent, and safe before `initialize()`. */
  shutdown(): Promise<void>;

  /** Current health; traders that can lose their session (an expired token) report it here. */
  health(): TraderHealth;

  /**
   * Submits one signal's order, sent at most once per call, with the last price the engine saw for
   * the instrument. Resolves with `placed` (the broker accepted it), `filled` (a simulator's fill),
   * `failed` (refused: nothing is working at the broker), or `unknown` (no clear answer; the
   * engine resolves it with `queryOrder`). Never retries a send on its own: the engine decides.
   */
  executeOrder(
    signal: SignalToExecute,
    lastPrice: LastPrice,
    context: SubmitContext,
  ): Promise<SubmitResult>;

  /** With `capabilities.queryByClientOrderId`: where one order stands, by its ids. */
  queryOrder?(ref: OrderRef): Promise<OrderQuery>;

  /** With `capabilities.batchStatusReports`: status reports of many orders at once. */
  orderStatusReports?(refs: readonly OrderRef[]): Promise<OrderStatusBatch>;

  /** With `capabilities.cancel`: asks the broker to cancel an open order. */
  cancelOrder?(ref: OrderRef): Promise<CancelOutcome>;
}
