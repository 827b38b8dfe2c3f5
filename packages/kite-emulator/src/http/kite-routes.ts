import { userMargins } from "../account/user-margins.js";
import { userProfile } from "../account/user-profile.js";
import { ORDER_TYPES, VALIDITIES } from "../orders/kite-order.js";
import type { OrderActionResult, OrderModification } from "../orders/order-book.js";
import { MESSAGES } from "../orders/order-messages.js";
import type { KiteHandler } from "./kite-call.js";
import type { Route } from "./match-route.js";
import { overOrderRateLimit } from "./order-rate-limit.js";
import { placeOrder } from "./place-order-handler.js";
import { kiteError, kiteSuccess, type Reply } from "./reply.js";

const unknownOrder = (): Reply => kiteError(400, "InputException", MESSAGES.unknownOrder);

function actionReply(result: OrderActionResult): Reply {
  return result.kind === "ok"
    ? kiteSuccess({ order_id: result.orderId })
    : kiteError(400, "InputException", result.message);
}

function optionalNumber(value: string | undefined, integer: boolean): number | undefined | null {
  if (value === undefined || value.trim() === "") return undefined;
  const parsed = Number(value);
  const ok = Number.isFinite(parsed) && parsed >= 0 && (!integer || Number.isInteger(parsed));
  return ok ? parsed : null;
}

function optionalEnum<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
): T | undefined | null {
  if (value === undefined || value.trim() === "") return undefined;
  return allowed.find((candidate) => candidate === value) ?? null;
}

/** Parses the fields of `PUT /orders/{variety}/{order_id}`; null marks the first bad field. */
function parseModification(
  body: Readonly<Record<string, string>>,
): OrderModification | { invalid: string } {
  const change = {
    quantity: optionalNumber(body.quantity, true),
    price: optionalNumber(body.price, false),
    trigger_price: optionalNumber(body.trigger_price, false),
    disclosed_quantity: optionalNumber(body.disclosed_quantity, true),
    order_type: optionalEnum(body.order_type, ORDER_TYPES),
    validity: optionalEnum(body.validity, VALIDITIES),
  };
  for (const [field, value] of Object.entries(change)) {
    if (value === null) return { invalid: field };
  }
  return {
    quantity: change.quantity ?? undefined,
    price: change.price ?? undefined,
    trigger_price: change.trigger_price ?? undefined,
    disclosed_quantity: change.disclosed_quantity ?? undefined,
    order_type: change.order_type ?? undefined,
    validity: change.validity ?? undefined,
  };
}

/** `PUT /orders/{variety}/{order_id}`: takes a slot of the shared order rate limit first. */
const modifyOrder: KiteHandler = ({ params, body, now }, state) => {
  const limited = overOrderRateLimit(state, now);
  if (limited !== undefined) return limited;
  const change = parseModification(body);
  if ("invalid" in change)
    return kiteError(400, "InputException", MESSAGES.invalid(change.invalid));
  const result = state.book.modify(params.order_id ?? "", change);
  if (result.kind === "ok") state.stats.modified();
  return actionReply(result);
};

/** `DELETE /orders/{variety}/{order_id}`: takes a slot of the shared order rate limit first. */
const cancelOrder: KiteHandler = ({ params, now }, state) => {
  const limited = overOrderRateLimit(state, now);
  if (limited !== undefined) return limited;
  const result = state.book.cancel(params.order_id ?? "");
  if (result.kind === "ok") state.stats.cancelled();
  return actionReply(result);
};

const marginsOfSegment: KiteHandler = ({ params }, state) => {
  const margins = userMargins(state.margin);
  if (params.segment === "equity") return kiteSuccess(margins.equity);
  if (params.segment === "commodity") return kiteSuccess(margins.commodity);
  return kiteError(400, "InputException", MESSAGES.invalid("segment"));
};

const instrumentsCsv: KiteHandler = ({ params }, state) => ({
  kind: "body",
  status: 200,
  // Exactly `text/csv`: the client parses the dump only for this exact content type.
  contentType: "text/csv",
  body: state.instruments.csv(params.exchange),
});

/** The Kite Connect v3 routes the emulator serves; literal paths precede parameterised ones. */
export const KITE_ROUTES: readonly Route<KiteHandler>[] = [
  {
    method: "GET",
    template: "/user/profile",
    handler: (_call, state) =>
      kiteSuccess(userProfile(state.options.userId, state.options.userName)),
  },
  {
    method: "GET",
    template: "/user/margins",
    handler: (_call, state) => kiteSuccess(userMargins(state.margin)),
  },
  { method: "GET", template: "/user/margins/:segment", handler: marginsOfSegment },
  {
    method: "GET",
    template: "/orders",
    handler: (_call, state) => kiteSuccess(state.book.listed()),
  },
  {
    method: "GET",
    template: "/trades",
    handler: (_call, state) => kiteSuccess(state.book.listedTrades()),
  },
  { method: "GET", template: "/instruments", handler: instrumentsCsv },
  { method: "GET", template: "/instruments/:exchange", handler: instrumentsCsv },
  { method: "POST", template: "/orders/:variety", handler: placeOrder },
  {
    method: "GET",
    template: "/orders/:order_id",
    handler: ({ params }, state) => {
      const history = state.book.history(params.order_id ?? "");
      return history === undefined ? unknownOrder() : kiteSuccess(history);
    },
  },
  {
    method: "GET",
    template: "/orders/:order_id/trades",
    handler: ({ params }, state) => {
      const trades = state.book.trades(params.order_id ?? "");
      return trades === undefined ? unknownOrder() : kiteSuccess(trades);
    },
  },
  { method: "PUT", template: "/orders/:variety/:order_id", handler: modifyOrder },
  { method: "DELETE", template: "/orders/:variety/:order_id", handler: cancelOrder },
];
