import type { EmulatorState } from "../emulator-state.js";
import type { OrderSystemDownFault } from "../faults/fault-settings.js";
import { MESSAGES } from "../orders/order-messages.js";
import { parseVariety, validateOrder } from "../orders/validate-order.js";
import type { KiteHandler } from "./kite-call.js";
import { overOrderRateLimit } from "./order-rate-limit.js";
import { kiteError, kiteSuccess, type Reply, textReply } from "./reply.js";

const STATUS_TEXT: Record<500 | 502 | 503 | 504, string> = {
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** How long a hung placement waits before answering, unless the fault says otherwise. */
const DEFAULT_HANG_MS = 30_000;

/** The 5xx answer of an outage fault, in the fault's format. */
function outageReply(fault: OrderSystemDownFault): Reply {
  const status = fault.status ?? 503;
  const line = `${status} ${STATUS_TEXT[status]}`;
  switch (fault.format ?? "json") {
    case "text":
      return textReply(status, STATUS_TEXT[status]);
    case "html":
      // What a load balancer in front of Kite sends when the upstream fails or times out.
      return textReply(
        status,
        `<html><head><title>${line}</title></head><body><h1>${line}</h1></body></html>`,
        "text/html",
      );
    case "json":
      return status === 500
        ? kiteError(500, "GeneralException", "Something went wrong. Please try again.")
        : kiteError(
            status,
            "NetworkException",
            "The order system is unavailable. Please try again.",
          );
  }
}

/** The outage answer if the fault fires at this point of the placement (see `afterCreate`). */
function orderSystemDown(state: EmulatorState, afterCreate: boolean): Reply | undefined {
  const fault = state.faults.orderSystemDown(afterCreate);
  if (fault === undefined) return undefined;
  state.stats.fault("orderSystemDown");
  return outageReply(fault);
}

/**
 * `POST /orders/{variety}`: rate limit, then the injected outage, then validation, then the
 * order book. An accepted order may still be answered with a 5xx (`afterCreate` outage) or get no
 * timely answer (timeout after accept), in that order of precedence.
 */
export const placeOrder: KiteHandler = (call, state) => {
  const limited = overOrderRateLimit(state, call.now);
  if (limited !== undefined) return limited;
  const down = orderSystemDown(state, false);
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

  const downAfterCreate = orderSystemDown(state, true);
  if (downAfterCreate !== undefined) return downAfterCreate;
  const answer = kiteSuccess({ order_id: order.order_id });
  const timeout = state.faults.timeoutAfterAccept();
  if (timeout === undefined) return answer;
  state.stats.fault("timeoutAfterAccept");
  return timeout.mode === "destroy"
    ? { kind: "destroy" }
    : { kind: "hang", afterMs: timeout.hangMs ?? DEFAULT_HANG_MS, reply: answer };
};
