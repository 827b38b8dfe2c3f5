import type { SubmitResult } from "../trading/execution-result.js";
import { type ExecutionState, isFinalStatus } from "./execution-state.js";
import type { OrderStatusReport } from "./order-status-report.js";

/**
 * What happens to an execution. Times (`at`) are epoch milliseconds on the engine's clock.
 * - `refuse`: the engine will not execute it (market closed, stale signal, trader down...);
 * - `submit`: the engine hands it to the trader now;
 * - `submit_result`: the trader answered the submission (possibly after the timeout);
 * - `submit_timeout`: the trader has not answered within the execution timeout; its call runs on;
 * - `recover`: this process took the execution over from a process that stopped owning it, whose
 *   calls are therefore no longer running;
 * - `report`: an order status report from the broker;
 * - `absent`: the broker was asked at `at` and has no such order (the answer may be applied after
 *   later events: `at` is when it was asked);
 * - `cancel`: the engine wants the order cancelled; `code` is what its end carries when nothing
 *   was filled (`ORDER_EXPIRED` for a time in force, `TRADING_HALTED` for a halt).
 */
export type ExecutionEvent =
  | { type: "refuse"; code: string; message: string; at: number }
  | { type: "submit"; at: number }
  | { type: "submit_result"; result: SubmitResult; at: number }
  | { type: "submit_timeout"; at: number }
  | { type: "recover"; at: number }
  | { type: "report"; report: OrderStatusReport; at: number }
  | { type: "absent"; at: number }
  | { type: "cancel"; code: string; message: string; at: number };

/** A contract event the execution emits: the service turns it into the wire payload. */
export type ExecutionEmit =
  | { event: "order_placed"; orderId: string; price: number | null; timestamp: string }
  | {
      event: "order_filled";
      orderId: string;
      quantity: number;
      fillPrice: number;
      fees: number | null;
      timestamp: string;
    }
  | {
      event: "order_failed";
      orderId: string | null;
      code: string;
      message: string;
      timestamp: string;
    };

/**
 * Kinds of anomaly the engine reports (each worth an operator's look): from a transition, or
 * from the engine's watch over executions that ended (`duplicate_order`, `order_after_failure`:
 * an order the broker shows for an execution already reported failed, one concluded absent too
 * soon).
 */
export type ExecutionAnomaly =
  | "duplicate_order"
  | "order_after_failure"
  | "vanished_order"
  | "overfill"
  | "fill_without_price"
  | "out_of_order";

/**
 * What a transition asks the execution service to do, in order:
 * - `journal`: store the new state (fenced: only while this process owns the execution), before
 *   anything below leaves the process;
 * - `emit`: publish this contract event (after the journal write);
 * - `submit`: call the trader's `executeOrder`;
 * - `query`: the order's existence is unknown: ask the broker (status reports or `queryOrder`);
 * - `follow`: the order is open at the broker: follow it with status reports;
 * - `cancel`: call the trader's `cancelOrder`;
 * - `alert`: something a broker should never do happened: log it loudly and count it.
 */
export type ExecutionEffect =
  | { type: "journal" }
  | { type: "emit"; emit: ExecutionEmit }
  | { type: "submit" }
  | { type: "query" }
  | { type: "follow" }
  | { type: "cancel" }
  | { type: "alert"; anomaly: ExecutionAnomaly; message: string };

/** What the engine allows an execution on a namespace. */
export interface ExecutionPolicy {
  /** Submissions in all; the next one only after the broker confirmed the last created nothing. */
  maxSubmitAttempts: number;
  /**
   * How long after a submission's call ended an order may still be missing from the broker's
   * answers (its order book lags): an "absent" is conclusive only after it. The trader declares it.
   */
  orderVisibilityMs: number;
  /**
   * Whether an order the broker shows gets an `order_placed`: true for a trader that follows its
   * orders (its submissions answer `placed`); false for one whose orders fill at once (its
   * executions end in their terminal event alone, found by a query or not).
   */
  announcesPlacement: boolean;
}

/** What `transitionExecution` answers. */
export interface Transition {
  /** The execution's next state (the same object when the event changes nothing). */
  state: ExecutionState;
  /** What the caller must do, in order: journal the state, emit events, submit, query, follow, cancel, alert. */
  effects: ExecutionEffect[];
}

const DEFAULT_CANCEL_MESSAGE = "the order was cancelled before any fill";

/**
 * The execution state machine: the next state of an execution and the effects it asks for. Pure:
 * no I/O, no clock, the same answer for the same input. The execution service applies every event
 * of every execution through it, so its rules hold everywhere:
 * - an execution emits at most one terminal event (`order_filled` or `order_failed`), and none
 *   once final;
 * - an order the broker had gets `order_placed`, once, before its terminal event (on namespaces
 *   whose orders announce their placement);
 * - the filled quantity never exceeds the order's, and never goes back;
 * - `unknown` (and `submitted`) end in a failure only on the broker's word: an explicit rejection,
 *   or an "absent" asked after the order had time to show (`absentConclusiveAfter`) while no call
 *   of ours could still send it; an order the broker once had is never concluded absent;
 * - an order the broker accepted has vanished (`vanished_order`) only on an "absent" asked at
 *   least `orderVisibilityMs` after its acceptance: an older answer may predate its listing.
 */
export function transitionExecution(
  state: ExecutionState,
  event: ExecutionEvent,
  policy: ExecutionPolicy,
): Transition {
  if (isFinalStatus(state.status)) return afterEnd(state, event);
  switch (event.type) {
    case "refuse":
      if (state.status !== "pending") return unchanged(state);
      return end({ ...state, status: "rejected" }, [
        failedEmit(null, event.code, event.message, iso(event.at)),
      ]);
    case "submit":
      if (state.status !== "pending") return unchanged(state);
      return changed(
        {
          ...state,
          status: "submitted",
          attempts: state.attempts + 1,
          callOutstanding: true,
          absentConclusiveAfter: null,
        },
        [{ type: "submit" }],
      );
    case "submit_result":
      return onSubmitResult(state, event.result, event.at, policy);
    case "submit_timeout":
      if (state.status !== "submitted") return unchanged(state);
      return changed({ ...state, status: "unknown" }, [{ type: "query" }]);
    case "recover":
      return onRecover(state, event.at, policy);
    case "report":
      return onReport(state, event.report, event.at, policy);
    case "absent":
      return onAbsent(state, event.at, policy);
    case "cancel":
      if (state.status !== "accepted" && state.status !== "partially_filled") {
        return unchanged(state);
      }
      if (state.cancel !== null) return { state, effects: [{ type: "cancel" }] };
      return changed(
        { ...state, cancel: { code: event.code, message: event.message, at: event.at } },
        [{ type: "cancel" }],
      );
  }
}

/** A submission's answer after a status report already showed the order open. */
function onSubmitResultWhileOpen(state: ExecutionState, result: SubmitResult): Transition {
  // A status report got there first: the broker's word about the order stands.
  if (
    result.kind === "placed" &&
    state.orderId !== null &&
    result.payload.order_id !== state.orderId
  ) {
    return alert(
      state,
      "duplicate_order",
      `two broker orders for one client order id: ${state.orderId} and ${result.payload.order_id}`,
    );
  }
  if (result.kind === "filled") return onImmediateFill(state, result.payload);
  return state.callOutstanding
    ? changed({ ...state, callOutstanding: false }, [])
    : unchanged(state);
}

function onSubmitResult(
  state: ExecutionState,
  result: SubmitResult,
  at: number,
  policy: ExecutionPolicy,
): Transition {
  const open = state.status === "accepted" || state.status === "partially_filled";
  if (state.status === "pending") {
    return alert(state, "out_of_order", "a submission answered before it was made");
  }
  if (open) return onSubmitResultWhileOpen(state, result);
  switch (result.kind) {
    case "placed": {
      const payload = result.payload;
      const next: ExecutionState = {
        ...state,
        status: "accepted",
        orderId: payload.order_id,
        limitPrice: payload.price,
        placed: true,
        callOutstanding: false,
        absentConclusiveAfter: null,
        acceptedAt: state.acceptedAt ?? at,
      };
      // An order that vanished from the broker's view and answers now had its order_placed.
      const emits: ExecutionEffect[] = state.placed
        ? []
        : [
            {
              type: "emit",
              emit: {
                event: "order_placed",
                orderId: payload.order_id,
                price: payload.price,
                timestamp: payload.timestamp,
              },
            },
          ];
      return changed(next, [...emits, { type: "follow" }]);
    }
    case "filled":
      return onImmediateFill(state, result.payload);
    case "failed": {
      const payload = result.payload;
      const orderId = payload.order_id === "N/A" ? null : payload.order_id;
      return end(
        { ...state, status: "rejected", orderId: orderId ?? state.orderId, callOutstanding: false },
        [failedEmit(orderId, payload.error_code, payload.error_message, payload.timestamp)],
      );
    }
    case "unknown":
      return changed(
        {
          ...state,
          status: "unknown",
          callOutstanding: false,
          absentConclusiveAfter: at + policy.orderVisibilityMs,
        },
        [{ type: "query" }],
      );
  }
}

/**
 * A trader that fills the whole order at once (a simulator): one `order_filled`, and no
 * `order_placed` unless the broker had shown the order before.
 */
function onImmediateFill(
  state: ExecutionState,
  payload: Extract<SubmitResult, { kind: "filled" }>["payload"],
): Transition {
  const alerts: ExecutionEffect[] = [];
  if (payload.quantity > state.quantity) alerts.push(overfill(payload.quantity, state.quantity));
  if (state.orderId !== null && payload.order_id !== state.orderId) {
    alerts.push({
      type: "alert",
      anomaly: "duplicate_order",
      message: `two broker orders for one client order id: ${state.orderId} and ${payload.order_id}`,
    });
  }
  const quantity = Math.max(state.filledQuantity, Math.min(payload.quantity, state.quantity));
  const orderId = state.orderId ?? payload.order_id;
  const ended = end(
    {
      ...state,
      status: "filled",
      orderId,
      filledQuantity: quantity,
      averagePrice: payload.fill_price,
    },
    [
      {
        event: "order_filled",
        orderId,
        quantity,
        fillPrice: payload.fill_price,
        fees: payload.fees,
        timestamp: payload.timestamp,
      },
    ],
  );
  return withAlerts(ended, alerts);
}

function onRecover(state: ExecutionState, at: number, policy: ExecutionPolicy): Transition {
  switch (state.status) {
    case "submitted":
      // The call that was running died with its process: the order went, or it never will.
      return changed(
        {
          ...state,
          status: "unknown",
          callOutstanding: false,
          absentConclusiveAfter: at + policy.orderVisibilityMs,
        },
        [{ type: "query" }],
      );
    case "unknown": {
      if (!state.callOutstanding) return { state, effects: [{ type: "query" }] };
      const after = Math.max(state.absentConclusiveAfter ?? 0, at + policy.orderVisibilityMs);
      return changed({ ...state, callOutstanding: false, absentConclusiveAfter: after }, [
        { type: "query" },
      ]);
    }
    case "accepted":
    case "partially_filled":
      return { state, effects: [{ type: "follow" }] };
    default:
      return unchanged(state);
  }
}

function onReport(
  state: ExecutionState,
  report: OrderStatusReport,
  at: number,
  policy: ExecutionPolicy,
): Transition {
  if (state.orderId !== null && report.orderId !== state.orderId) {
    return alert(
      state,
      "duplicate_order",
      `two broker orders for one client order id: ${state.orderId} and ${report.orderId}`,
    );
  }
  const { filledQuantity, averagePrice, alerts } = reportedFill(state, report);
  const placed = state.placed || policy.announcesPlacement;
  const seen: ReportSeen = {
    base: {
      ...state,
      orderId: report.orderId,
      limitPrice: state.limitPrice ?? report.limitPrice,
      filledQuantity,
      averagePrice,
      callOutstanding: false,
      absentConclusiveAfter: null,
      acceptedAt: state.acceptedAt ?? at,
      placed,
    },
    placedEmits:
      state.placed || !policy.announcesPlacement
        ? []
        : [
            {
              event: "order_placed",
              orderId: report.orderId,
              price: state.limitPrice ?? report.limitPrice,
              timestamp: report.updatedAt ?? iso(at),
            },
          ],
    alerts,
    timestamp: report.updatedAt ?? iso(at),
  };
  if (report.status === "accepted" || report.status === "partially_filled") {
    return onOpenReport(state, seen);
  }
  return onFinalReport(state, report, seen);
}

/** What a status report makes of an execution, before its status is decided. */
interface ReportSeen {
  /** The state with the report's order id, fill and prices taken in. */
  base: ExecutionState;
  /** `order_placed`, when this report is the first word of the order and the policy announces it. */
  placedEmits: ExecutionEmit[];
  alerts: ExecutionEffect[];
  /** The report's time, else the transition's. */
  timestamp: string;
}

/**
 * The filled quantity and average price a report brings: a fill never shrinks, a `filled` with no
 * quantity means all of it, and more than the order's quantity is capped with an alert.
 */
function reportedFill(
  state: ExecutionState,
  report: OrderStatusReport,
): { filledQuantity: number; averagePrice: number | null; alerts: ExecutionEffect[] } {
  const alerts: ExecutionEffect[] = [];
  let reported = report.filledQuantity;
  if (report.status === "filled" && reported === 0) reported = state.quantity;
  if (reported > state.quantity) {
    alerts.push(overfill(reported, state.quantity));
    reported = state.quantity;
  }
  const grew = reported > state.filledQuantity;
  return {
    filledQuantity: grew ? reported : state.filledQuantity,
    averagePrice: grew ? (report.averagePrice ?? state.averagePrice) : state.averagePrice,
    alerts,
  };
}

/** The order is open at the broker: accepted, or partially filled. */
function onOpenReport(state: ExecutionState, seen: ReportSeen): Transition {
  const { base, placedEmits, alerts } = seen;
  const status = base.filledQuantity > 0 ? "partially_filled" : "accepted";
  const next: ExecutionState = { ...base, status };
  if (
    state.placed === next.placed &&
    state.status === next.status &&
    state.filledQuantity === next.filledQuantity &&
    state.orderId === next.orderId
  ) {
    return { state, effects: alerts };
  }
  return withAlerts(
    changed(next, [
      ...placedEmits.map((emit): ExecutionEffect => ({ type: "emit", emit })),
      { type: "follow" },
    ]),
    alerts,
  );
}

/** Final at the broker: whatever was filled stands as one `order_filled`, else one `order_failed`. */
function onFinalReport(
  state: ExecutionState,
  report: OrderStatusReport,
  { base, placedEmits, alerts, timestamp }: ReportSeen,
): Transition {
  const { filledQuantity, averagePrice } = base;
  if (filledQuantity > 0) {
    if (averagePrice === null) {
      alerts.push({
        type: "alert",
        anomaly: "fill_without_price",
        message: `the broker reports ${filledQuantity} filled without an average price`,
      });
    }
    const ended = end({ ...base, status: report.status }, [
      ...placedEmits,
      {
        event: "order_filled",
        orderId: report.orderId,
        quantity: filledQuantity,
        fillPrice: averagePrice ?? 0,
        fees: report.fees,
        timestamp,
      },
    ]);
    return withAlerts(ended, alerts);
  }
  const { status, code, message } = failureOf(state, report);
  const ended = end({ ...base, status }, [
    ...placedEmits,
    failedEmit(report.orderId, code, message, timestamp),
  ]);
  return withAlerts(ended, alerts);
}

/** How an order that ended at the broker with nothing filled is reported. */
function failureOf(
  state: ExecutionState,
  report: OrderStatusReport,
): { status: ExecutionState["status"]; code: string; message: string } {
  switch (report.status) {
    case "expired":
      return {
        status: "expired",
        code: "ORDER_EXPIRED",
        message: report.message ?? "the order's time in force ran out before any fill",
      };
    case "cancelled":
      if (state.cancel !== null) {
        return {
          status: state.cancel.code === "ORDER_EXPIRED" ? "expired" : "cancelled",
          code: state.cancel.code,
          message: state.cancel.message,
        };
      }
      return {
        status: "cancelled",
        code: "BROKER_REJECTED",
        message: report.message ?? DEFAULT_CANCEL_MESSAGE,
      };
    default:
      return {
        status: "rejected",
        code: "BROKER_REJECTED",
        message: report.message ?? "the order was rejected",
      };
  }
}

function onAbsent(state: ExecutionState, at: number, policy: ExecutionPolicy): Transition {
  switch (state.status) {
    case "pending":
    case "submitted":
      // Nothing sent yet, or our own call may still send it: absence proves nothing.
      return unchanged(state);
    case "accepted":
    case "partially_filled":
      if (predatesListing(state, at, policy)) return unchanged(state);
      return changed({ ...state, status: "unknown" }, [vanished(state), { type: "query" }]);
    case "unknown": {
      if (state.placed || state.orderId !== null) {
        const effects: ExecutionEffect[] = [{ type: "query" }];
        return predatesListing(state, at, policy)
          ? { state, effects }
          : { state, effects: [vanished(state), ...effects] };
      }
      const conclusive =
        !state.callOutstanding &&
        state.absentConclusiveAfter !== null &&
        at >= state.absentConclusiveAfter;
      if (!conclusive) return { state, effects: [{ type: "query" }] };
      if (state.attempts < policy.maxSubmitAttempts) {
        return changed(
          {
            ...state,
            status: "submitted",
            attempts: state.attempts + 1,
            callOutstanding: true,
            absentConclusiveAfter: null,
          },
          [{ type: "submit" }],
        );
      }
      return end({ ...state, status: "rejected" }, [
        failedEmit(
          null,
          "BROKER_UNAVAILABLE",
          `the broker confirms no order was created after ${state.attempts} submission(s) that got no clear answer`,
          iso(at),
        ),
      ]);
    }
    default:
      return unchanged(state);
  }
}

/**
 * Whether an "absent" says nothing about an order the broker accepted: it was asked before the
 * acceptance, or so soon after it that the broker's order book may not list the order yet
 * (`orderVisibilityMs`). Such answers are common, not anomalies: a follower round reads the book,
 * the placement's answer is applied meanwhile, and the round's "absent" arrives after it. Without
 * an acceptance time (a journal from before it was kept) every answer counts.
 */
function predatesListing(state: ExecutionState, at: number, policy: ExecutionPolicy): boolean {
  return state.acceptedAt !== null && at < state.acceptedAt + policy.orderVisibilityMs;
}

/** A final execution changes no more; a broker contradicting its end is worth a look. */
function afterEnd(state: ExecutionState, event: ExecutionEvent): Transition {
  if (event.type === "report") {
    const report = event.report;
    if (state.orderId !== null && report.orderId !== state.orderId) {
      return alert(
        state,
        "duplicate_order",
        `two broker orders for one client order id: ${state.orderId} and ${report.orderId}`,
      );
    }
    if (report.filledQuantity > state.filledQuantity) {
      return alert(
        state,
        "out_of_order",
        `the broker reports ${report.filledQuantity} filled after the execution ended with ${state.filledQuantity}`,
      );
    }
  }
  if (
    event.type === "submit_result" &&
    event.result.kind === "placed" &&
    state.orderId !== null &&
    event.result.payload.order_id !== state.orderId
  ) {
    return alert(
      state,
      "duplicate_order",
      `two broker orders for one client order id: ${state.orderId} and ${event.result.payload.order_id}`,
    );
  }
  return unchanged(state);
}

function changed(state: ExecutionState, effects: ExecutionEffect[]): Transition {
  return { state, effects: [{ type: "journal" }, ...effects] };
}

/** Alerts go after the journal write and the events: the state they describe is kept first. */
function withAlerts(transition: Transition, alerts: ExecutionEffect[]): Transition {
  return alerts.length === 0
    ? transition
    : { state: transition.state, effects: [...transition.effects, ...alerts] };
}

function unchanged(state: ExecutionState): Transition {
  return { state, effects: [] };
}

function end(next: ExecutionState, emits: ExecutionEmit[]): Transition {
  return changed(
    { ...next, callOutstanding: false, absentConclusiveAfter: null },
    emits.map((emit): ExecutionEffect => ({ type: "emit", emit })),
  );
}

function alert(state: ExecutionState, anomaly: ExecutionAnomaly, message: string): Transition {
  return { state, effects: [{ type: "alert", anomaly, message }] };
}

function overfill(reported: number, quantity: number): ExecutionEffect {
  return {
    type: "alert",
    anomaly: "overfill",
    message: `the broker reports ${reported} filled on an order of ${quantity}: counted as ${quantity}`,
  };
}

function vanished(state: ExecutionState): ExecutionEffect {
  return {
    type: "alert",
    anomaly: "vanished_order",
    message: `the broker no longer shows order ${state.orderId ?? "(id unknown)"}, which it had: its end is unknown until it does`,
  };
}

function failedEmit(
  orderId: string | null,
  code: string,
  message: string,
  timestamp: string,
): ExecutionEmit {
  return { event: "order_failed", orderId, code, message, timestamp };
}

function iso(at: number): string {
  return new Date(at).toISOString();
}
