import {
  type CancelOutcome,
  type Clock,
  type ExecutionAnomaly,
  type ExecutionEffect,
  type ExecutionEvent,
  errorMessage,
  type Logger,
  type OrderRef,
  type OrderStatusReport,
  type TraderCapabilities,
  type TraderOperations,
} from "@engine/core";
import PQueue from "p-queue";
import type { EngineMetrics, FollowedOrders } from "../observability/metrics.js";
import type { BudgetAnswer } from "./shared-order-budget.js";
import type { TrackedExecution } from "./tracked-execution.js";

export interface NamespaceFollowerOptions {
  namespace: string;
  capabilities: TraderCapabilities;
  operations: TraderOperations;
  /** Applies an event to an execution through the state machine; resolves with its effects. */
  apply(execution: TrackedExecution, event: ExecutionEvent): Promise<ExecutionEffect[]>;
  /** Starts a submission the state machine asked for again (after a confirmed absence). */
  resubmit(execution: TrackedExecution): void;
  /** Raises an anomaly of an execution (metric and error log), as its transitions' alerts are. */
  alert(execution: TrackedExecution, anomaly: ExecutionAnomaly, message: string): void;
  /** Time in force of an open order, ms, or null for none. */
  orderTtlMs: number | null;
  /**
   * Takes a slot of the order budget every instance shares before a cancel is sent (none: the
   * trader's own limiter alone); `release` once the cancel is answered. No slot: not sent now, sent
   * again later.
   */
  takeCancelSlot?: (() => Promise<BudgetAnswer>) | undefined;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
}

/** Orders asked about one by one in a round, at most (the rest wait for later rounds). */
const PER_ORDER_QUERIES_PER_ROUND = 2;
/** The first wait before asking again about one order on its own; it doubles up to the cap. */
const PER_ORDER_BACKOFF_MS = 2_000;
const PER_ORDER_BACKOFF_CAP_MS = 60_000;
/** A cancel that left the order open is sent again after this long. */
const CANCEL_RESEND_MS = 5_000;
/** Keys whose reports are applied at once in a round (each key's in order). */
const KEYS_AT_ONCE = 16;
/**
 * How long an execution placed more than once stays watched after it ended, at least, and in
 * visibility windows: an attempt concluded absent may still show in a book that lags longer than
 * the window, as a second order.
 */
const DUPLICATE_WATCH_MIN_MS = 60_000;
const DUPLICATE_WATCH_WINDOWS = 3;

/**
 * Follows every open order of one namespace with one bounded loop, not one task per order: each
 * round asks the trader for status reports of all of them at once (Kite: one `GET /orders`),
 * applies each report to its execution, and falls back to per-order queries only for an order the
 * batch cannot answer for (one the broker knew and no longer lists), a few per round with backoff.
 * Executions whose existence is unknown are resolved the same way: found, or absent as of the
 * round's start (the state machine decides when absence is conclusive). Orders still open after
 * their time in force are cancelled. A round starts every `statusPollIntervalMs`, or at once when
 * woken (a postback, a simulated fill), never two at a time.
 *
 * An execution submitted more than once (an attempt the broker confirmed absent), or failed with
 * no broker order known, is watched for a while after it ends, where the trader gives batch
 * reports: a book lagging longer than the trader's visibility window shows an attempt late. A
 * second order for one client order id, open or watched, is raised as `duplicate_order`; an order
 * for an execution reported failed as `order_after_failure`.
 */
export class NamespaceFollower {
  readonly #o: NamespaceFollowerOptions;
  readonly #open = new Map<string, TrackedExecution>();
  /** Ended executions that may have an order listed late (see `remove`), watched until `until` (epoch ms). */
  readonly #watched = new Map<string, { execution: TrackedExecution; until: number }>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #again = false;
  #running = false;
  #lastRoundAt = Number.NEGATIVE_INFINITY;
  /** Cancels a round started and left running (each may wait for an order-budget slot). */
  readonly #cancelling = new Set<Promise<unknown>>();

  constructor(options: NamespaceFollowerOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Counts what is followed now by status (`now`: `performance.now()`, ms). */
  census(now = performance.now()): FollowedOrders {
    const byStatus: Record<string, number> = {};
    let oldest = 0;
    for (const execution of this.#open.values()) {
      const status = execution.state.status;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (execution.unknownSince !== null) oldest = Math.max(oldest, now - execution.unknownSince);
    }
    return { namespace: this.#o.namespace, byStatus, oldestUnknownSeconds: oldest / 1000 };
  }

  start(): void {
    this.#running = true;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#round;
    await Promise.allSettled([...this.#cancelling]);
  }

  add(execution: TrackedExecution): void {
    if (this.#open.has(execution.key)) return;
    this.#open.set(execution.key, execution);
    this.#o.metrics.openExecutions.set({ namespace: this.#o.namespace }, this.#open.size);
  }

  /**
   * Stops following an execution (it ended, or another instance took it over). One that ended
   * after more than one submission, or failed with no broker order known after one, is watched a
   * while longer for an order its broker lists late.
   */
  remove(execution: TrackedExecution): void {
    if (this.#open.delete(execution.key)) {
      this.#o.metrics.openExecutions.set({ namespace: this.#o.namespace }, this.#open.size);
    }
    const { attempts, orderId } = execution.state;
    const watched = attempts >= 2 || (attempts === 1 && orderId === null);
    if (execution.lost || !watched || !this.#o.operations.orderStatusReports) return;
    const watchMs = Math.max(
      DUPLICATE_WATCH_MIN_MS,
      DUPLICATE_WATCH_WINDOWS * this.#o.capabilities.orderVisibilityMs,
    );
    this.#watched.set(execution.key, { execution, until: this.#o.clock.now() + watchMs });
  }

  /**
   * Brings the next round forward (a postback, a simulated fill): it starts as soon as half the
   * poll interval has passed since the last one began, so wake-ups never spend more than twice
   * the declared poll rate of the broker's request budget.
   */
  wake(): void {
    if (!this.#running) return;
    if (this.#round) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    const wait =
      this.#lastRoundAt + this.#o.capabilities.statusPollIntervalMs / 2 - performance.now();
    if (wait <= 0) {
      this.#startRound();
      return;
    }
    this.#timer = setTimeout(() => this.#startRound(), wait);
    this.#timer.unref();
  }

  #schedule(): void {
    if (!this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#startRound(), this.#o.capabilities.statusPollIntervalMs);
    this.#timer.unref();
  }

  #startRound(): void {
    this.#lastRoundAt = performance.now();
    this.#round = this.#roundSafely().finally(() => {
      this.#round = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else {
        this.#schedule();
      }
    });
  }

  async #roundSafely(): Promise<void> {
    this.#endWatches();
    if (this.#open.size === 0 && this.#watched.size === 0) return;
    const started = performance.now();
    try {
      await this.#roundOnce();
    } catch (error) {
      this.#o.logger.warn(
        { namespace: this.#o.namespace, err: errorMessage(error) },
        "following open orders failed this round: trying again next round",
      );
    } finally {
      this.#o.metrics.followRoundSeconds.observe(
        { namespace: this.#o.namespace },
        (performance.now() - started) / 1000,
      );
    }
  }

  async #roundOnce(): Promise<void> {
    // An execution being submitted is busy in its serial section (a re-submission may wait there
    // for minutes for an order-budget slot): a round waiting on it would hold up every fill.
    const executions = [...this.#open.values()].filter((execution) => !execution.submitting);
    const { orderStatusReports, queryOrder } = this.#o.operations;
    const single = orderStatusReports
      ? await this.#reportRound(executions, orderStatusReports)
      : executions;
    if (queryOrder) await this.#querySome(single, queryOrder);
    this.#expire();
  }

  /**
   * One batch of status reports for every open execution (and the watched ones), applied; returns
   * the executions to ask for one by one: those with a broker order id its book does not list (an
   * earlier day's order). None when the reports are unavailable this round.
   */
  async #reportRound(
    executions: TrackedExecution[],
    orderStatusReports: NonNullable<TraderOperations["orderStatusReports"]>,
  ): Promise<TrackedExecution[]> {
    const askedAt = this.#o.clock.now();
    const watched = [...this.#watched.values()].map(({ execution }) => execution);
    const batch = await orderStatusReports([...executions, ...watched].map(refOf));
    if (batch.kind === "unavailable") {
      this.#o.logger.debug(
        { namespace: this.#o.namespace, reason: batch.reason },
        "status reports unavailable: trying again next round",
      );
      return [];
    }
    const byClientOrderId = byClientOrderIdOf(batch.reports);
    const byOrderId = new Map(batch.reports.map((r) => [r.orderId, r]));
    const answers: [TrackedExecution, ExecutionEvent][] = [];
    const single: TrackedExecution[] = [];
    for (const execution of executions) {
      const { orderId } = execution.state;
      const reports = byClientOrderId.get(execution.clientOrderId) ?? [];
      this.#noteDuplicates(execution, reports);
      // Known by its order id, its own order only: another one under its client order id is a
      // duplicate, raised once above, not its state.
      const report = orderId === null ? reports[0] : byOrderId.get(orderId);
      if (report) answers.push([execution, { type: "report", report, at: askedAt }]);
      else if (orderId !== null) single.push(execution);
      else answers.push([execution, { type: "absent", at: askedAt }]);
    }
    for (const execution of watched) {
      const reports = byClientOrderId.get(execution.clientOrderId) ?? [];
      this.#noteDuplicates(execution, reports);
      this.#noteOrderAfterFailure(execution, reports);
    }
    await this.#applyByKey(answers);
    return single;
  }

  /**
   * Raises `duplicate_order` when the broker holds more than one order for the execution's
   * client order id (its reports, and the order id it knows): once an execution (the metric
   * counts executions); a further order is logged.
   */
  #noteDuplicates(execution: TrackedExecution, reports: readonly OrderStatusReport[]): void {
    const orderIds = new Set(reports.map((report) => report.orderId));
    if (execution.state.orderId !== null) orderIds.add(execution.state.orderId);
    if (orderIds.size < 2 || orderIds.size <= execution.duplicateOrdersReported) return;
    const first = execution.duplicateOrdersReported === 0;
    execution.duplicateOrdersReported = orderIds.size;
    const message =
      `the broker holds ${orderIds.size} orders for one client order id (${[...orderIds].join(", ")}): ` +
      `most likely an attempt concluded absent after the trader's visibility window ` +
      `(${this.#o.capabilities.orderVisibilityMs} ms) listed later. Offset or cancel the extra ` +
      `orders at the broker, and raise the window`;
    if (first) this.#o.alert(execution, "duplicate_order", message);
    else this.#o.logger.error({ ...execution.context(), order_ids: [...orderIds] }, message);
  }

  /**
   * Raises `order_after_failure` (once) when the broker lists an order for an execution that
   * ended reported failed with no broker order known: the signal's result says no order exists.
   */
  #noteOrderAfterFailure(execution: TrackedExecution, reports: readonly OrderStatusReport[]): void {
    const { state } = execution;
    if (reports.length === 0 || state.orderId !== null || state.filledQuantity > 0) return;
    if (execution.orderAfterFailureReported) return;
    execution.orderAfterFailureReported = true;
    const orders = reports.map((report) => `${report.orderId} (${report.status})`).join(", ");
    this.#o.alert(
      execution,
      "order_after_failure",
      `the broker lists ${orders} for an execution reported failed (${state.status}) with no order: ` +
        `an attempt concluded absent after the trader's visibility window ` +
        `(${this.#o.capabilities.orderVisibilityMs} ms) listed later. Its result is wrong: check ` +
        `the order and the position at the broker, and raise the window`,
    );
  }

  /** Ends the watches that ran their time. */
  #endWatches(): void {
    const now = this.#o.clock.now();
    for (const [key, { until }] of this.#watched) if (now >= until) this.#watched.delete(key);
  }

  async #querySome(
    candidates: TrackedExecution[],
    queryOrder: NonNullable<TraderOperations["queryOrder"]>,
  ): Promise<void> {
    const now = this.#o.clock.now();
    const due = candidates
      .filter((execution) => now - execution.lastQueriedAt >= this.#backoffOf(execution))
      .sort((a, b) => a.lastQueriedAt - b.lastQueriedAt);
    const limit = this.#o.operations.orderStatusReports ? PER_ORDER_QUERIES_PER_ROUND : due.length;
    for (const execution of due.slice(0, limit)) {
      const askedAt = this.#o.clock.now();
      execution.lastQueriedAt = askedAt;
      const answer = await queryOrder(refOf(execution));
      if (answer.kind === "found") {
        await this.#applyAll(execution, { type: "report", report: answer.report, at: askedAt });
      } else if (answer.kind === "absent") {
        await this.#applyAll(execution, { type: "absent", at: askedAt });
      }
    }
  }

  /** Per-order queries of an order that vanished slow down; unknown ones stay brisk. */
  #backoffOf(execution: TrackedExecution): number {
    if (!this.#o.operations.orderStatusReports) return 0;
    const misses = execution.state.status === "unknown" ? 4 : 0;
    return Math.min(PER_ORDER_BACKOFF_CAP_MS, PER_ORDER_BACKOFF_MS * 2 ** misses);
  }

  /**
   * Sends again cancels that left the order open (or could not be sent for want of an order-budget
   * slot), and cancels open orders whose time in force ran out. The cancels run on after the
   * round: one waiting for its order-budget slot must not hold up the next round's fills.
   */
  #expire(): void {
    const ttl = this.#o.orderTtlMs;
    if (!this.#o.operations.cancelOrder) return;
    const now = this.#o.clock.now();
    for (const execution of this.#open.values()) {
      const state = execution.state;
      if (state.status !== "accepted" && state.status !== "partially_filled") continue;
      if (execution.cancelSending) continue;
      if (state.cancel !== null) {
        if (now - execution.lastCancelAt >= CANCEL_RESEND_MS)
          this.#cancelLater(execution, state.cancel);
        continue;
      }
      if (ttl === null || state.acceptedAt === null || now - state.acceptedAt < ttl) continue;
      this.#cancelLater(execution, {
        code: "ORDER_EXPIRED",
        message: `the order was still open after its time in force (${ttl} ms)`,
      });
    }
  }

  #cancelLater(execution: TrackedExecution, reason: { code: string; message: string }): void {
    const cancelling = this.cancel(execution, reason).catch((error: unknown) => {
      this.#o.logger.warn(
        { namespace: this.#o.namespace, signal_id: execution.signalId, err: errorMessage(error) },
        "cancel failed this round: trying again next round",
      );
    });
    this.#cancelling.add(cancelling);
    void cancelling.finally(() => this.#cancelling.delete(cancelling));
  }

  /**
   * Cancels an open order: applies the cancel (`code` is what its end carries when nothing was
   * filled), then sends it to the broker when the state machine asks for it; the order's end
   * comes with a later status report. Resolves with the broker's answer, or null when nothing was
   * sent (the trader cannot cancel, or the order is not open).
   */
  async cancel(
    execution: TrackedExecution,
    reason: { code: string; message: string },
  ): Promise<CancelOutcome | null> {
    const cancelOrder = this.#o.operations.cancelOrder;
    if (!cancelOrder) return null;
    const now = this.#o.clock.now();
    const effects = await this.#o.apply(execution, { type: "cancel", ...reason, at: now });
    // One cancel request at a time per order: a resend while one waits for a budget slot would
    // spend the account's order budget twice for nothing.
    if (!effects.some((effect) => effect.type === "cancel") || execution.cancelSending) return null;
    execution.cancelSending = true;
    let outcome: CancelOutcome;
    try {
      const slot = this.#o.takeCancelSlot ? await this.#cancelSlot(this.#o.takeCancelSlot) : null;
      // A resend is due a while after the request left, or after the budget said no.
      execution.lastCancelAt = this.#o.clock.now();
      if (slot && !slot.taken) {
        this.#o.logger.warn(
          { namespace: this.#o.namespace, signal_id: execution.signalId, reason: slot.reason },
          "cancel not sent for want of an order-budget slot: sent again later",
        );
        return null;
      }
      try {
        outcome = await cancelOrder(refOf(execution));
      } finally {
        if (slot?.taken) await slot.release();
      }
    } finally {
      execution.cancelSending = false;
    }
    this.#o.metrics.cancels.inc({ namespace: this.#o.namespace, outcome: outcome.kind });
    if (outcome.kind === "failed") {
      this.#o.logger.warn(
        {
          namespace: this.#o.namespace,
          signal_id: execution.signalId,
          order_id: execution.state.orderId,
          code: reason.code,
          reason: outcome.reason,
          retryable: outcome.retryable,
        },
        "cancel failed",
      );
    }
    return outcome;
  }

  /** A budget slot for a cancel; the database away is no slot (the cancel is sent again later). */
  async #cancelSlot(take: () => Promise<BudgetAnswer>): Promise<BudgetAnswer> {
    try {
      return await take();
    } catch (error) {
      return { taken: false, reason: `the order budget cannot be read: ${errorMessage(error)}` };
    }
  }

  /**
   * Applies a round's answers: one key's executions in order (their results go out in their
   * signals' order), different keys at once, a bounded number at a time.
   */
  async #applyByKey(answers: [TrackedExecution, ExecutionEvent][]): Promise<void> {
    const byKey = new Map<string, [TrackedExecution, ExecutionEvent][]>();
    for (const answer of answers) {
      const list = byKey.get(answer[0].orderingKey);
      if (list) list.push(answer);
      else byKey.set(answer[0].orderingKey, [answer]);
    }
    const queue = new PQueue({ concurrency: KEYS_AT_ONCE });
    await Promise.all(
      [...byKey.values()].map((list) =>
        queue.add(async () => {
          for (const [execution, event] of list) await this.#applyAll(execution, event);
        }),
      ),
    );
  }

  async #applyAll(execution: TrackedExecution, event: ExecutionEvent): Promise<void> {
    const effects = await this.#o.apply(execution, event);
    if (effects.some((effect) => effect.type === "submit")) this.#o.resubmit(execution);
  }
}

/** Reports by client order id: several for one are orders the broker holds twice. */
function byClientOrderIdOf(
  reports: readonly OrderStatusReport[],
): Map<string, OrderStatusReport[]> {
  const grouped = new Map<string, OrderStatusReport[]>();
  for (const report of reports) {
    const same = grouped.get(report.clientOrderId);
    if (same) same.push(report);
    else grouped.set(report.clientOrderId, [report]);
  }
  return grouped;
}

function refOf(execution: TrackedExecution): OrderRef {
  return { clientOrderId: execution.clientOrderId, orderId: execution.state.orderId };
}
