import type { EmulatorState } from "../emulator-state.js";
import { MESSAGES } from "../orders/order-messages.js";
import { parseVariety, validateOrder } from "../orders/validate-order.js";
import type { KiteHandler } from "./kite-call.js";
import { kiteError, kiteSuccess, type Reply, textReply } from "./reply.js";

const STATUS_TEXT: Record<500 | 502 | 503 | 504, string> = {
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** How long a hung placement waits before answering, unless the fault says otherwise. */
const DEFAULT_HANG_MS = 30_000;

/** Kite's 429, as JSON NetworkException or as the edge's plain text. */
export function tooManyRequests(format: "json" | "text"): Reply {
  return format === "text"
    ? textReply(429, "Too Many Requests")
    : kiteError(429, "NetworkException", "Too many requests");
}

function orderSystemDown(state: EmulatorState): Reply | undefined {
  const fault = state.faults.orderSystemDown();
  if (fault === undefined) return undefined;
  state.stats.fault("orderSystemDown");
  const status = fault.status ?? 503;
  if (fault.format === "text") return textReply(status, STATUS_TEXT[status]);
  return status === 500
    ? kiteError(500, "GeneralException", "Something went wrong. Please try again.")
    : kiteError(status, "NetworkException", "The order system is unavailable. Please try again.");
}

/**
 * `POST /orders/{variety}`: rate limit, then the injected outage, then validation, then the
 * order book; an accepted order may still get no timely answer when that fault is set.
 */
export const placeOrder: KiteHandler = (call, state) => {
  if (!state.limiter.tryAcquire(call.now)) {
    state.stats.rateLimited();
    return tooManyRequests(state.options.rateLimitFormat);
  }
  const down = orderSystemDown(state);
  if (down !== undefined) return down;

  const variety = parseVariety(call.params.variety ?? "");
  if (variety === undefined) {
    state.stats.invalid();
    return kiteError(400, "InputException", MESSAGES.invalid("variety"));
  }
  const result = validateOrder(variety, call.body, state.instruments);
  if (result.kind === "invalid") {
    state.stats.invalid();
    return kiteError(400, "InputException", result.message);
  }
  const order = state.book.place(result.request);
  state.stats.placed(order.tag);
  const answer = kiteSuccess({ order_id: order.order_id });

  const timeout = state.faults.timeoutAfterAccept();
  if (timeout === undefined) return answer;
  state.stats.fault("timeoutAfterAccept");
  return timeout.mode === "destroy"
    ? { kind: "destroy" }
    : { kind: "hang", afterMs: timeout.hangMs ?? DEFAULT_HANG_MS, reply: answer };
};
