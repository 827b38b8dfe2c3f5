import type { UpstoxInstrument } from "../instruments/instrument-master.js";
import type { UpstoxOrderBook } from "../orders/order-book.js";
import { type PlaceOrderBody, PlaceOrderBodySchema } from "../orders/upstox-order.js";
import { type Answer, answers, success } from "./envelopes.js";

/** What the routes read and change. */
export interface RouteDeps {
  book: UpstoxOrderBook;
  instrument(key: string): UpstoxInstrument | undefined;
  userId: string;
}

/** A request after authentication: method, path without query, query, parsed JSON body. */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** The class of a route for rate limits and faults, or null for an unknown route. */
export function routeClass(method: string, path: string): "place" | "cancel" | "read" | null {
  if (method === "POST" && path === "/v3/order/place") return "place";
  if (method === "DELETE" && path === "/v3/order/cancel") return "cancel";
  if (method === "GET" && READ_PATHS.has(path)) return "read";
  return null;
}

const READ_PATHS = new Set([
  "/v2/order/details",
  "/v2/order/history",
  "/v2/order/retrieve-all",
  "/v2/user/profile",
]);

/** Answers one Upstox API request (already authenticated, limited and past its faults). */
export function answerApi(request: ApiRequest, deps: RouteDeps): Answer {
  const { method, path, query } = request;
  if (method === "POST" && path === "/v3/order/place") return place(request.body, deps);
  if (method === "DELETE" && path === "/v3/order/cancel") return cancel(query, deps);
  if (path === "/v2/order/details") return details(query, deps);
  if (path === "/v2/order/history") return history(query, deps);
  if (path === "/v2/order/retrieve-all")
    return { status: 200, body: success(deps.book.retrieveAll()) };
  if (path === "/v2/user/profile") return profile(deps);
  return answers.notFound();
}

function details(query: URLSearchParams, deps: RouteDeps): Answer {
  const orderId = query.get("order_id");
  const row = orderId === null ? undefined : deps.book.details(orderId);
  return row === undefined
    ? answers.badInput("UDAPI100010", "Order not found", "order_id")
    : { status: 200, body: success(row) };
}

function history(query: URLSearchParams, deps: RouteDeps): Answer {
  const orderId = query.get("order_id") ?? undefined;
  const tag = query.get("tag") ?? undefined;
  if (orderId === undefined && tag === undefined) {
    return answers.badInput("UDAPI100059", "Either order_id or tag is required");
  }
  const rows = deps.book.history({
    ...(orderId === undefined ? {} : { orderId }),
    ...(tag === undefined ? {} : { tag }),
  });
  // Upstox answers an unknown order id with an error; an unknown tag with an empty list.
  if (rows.length === 0 && orderId !== undefined) {
    return answers.badInput("UDAPI100010", "Order not found", "order_id");
  }
  return { status: 200, body: success(rows) };
}

function profile(deps: RouteDeps): Answer {
  return {
    status: 200,
    body: success({
      user_id: deps.userId,
      user_name: "Emulated User",
      email: "user@example.com",
      exchanges: ["NSE", "NFO", "BSE"],
      products: ["I", "D"],
      order_types: ["MARKET", "LIMIT", "SL", "SL-M"],
      is_active: true,
    }),
  };
}

/**
 * Validates a placement as Upstox does, and books it. Only a refused request is an error:
 * insufficient funds give an order that ends `rejected`.
 */
export function validatePlacement(
  raw: unknown,
  deps: RouteDeps,
):
  | { ok: true; body: PlaceOrderBody; instrument: UpstoxInstrument }
  | { ok: false; answer: Answer } {
  const parsed = PlaceOrderBodySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") ?? null;
    return {
      ok: false,
      answer: answers.badInput("UDAPI1026", `Invalid or missing ${field}`, field),
    };
  }
  const body = parsed.data;
  const instrument = deps.instrument(body.instrument_token);
  if (instrument === undefined) {
    return {
      ok: false,
      answer: answers.badInput("UDAPI1052", "Invalid instrument_token", "instrument_token"),
    };
  }
  const unpriced = body.order_type === "MARKET" || body.order_type === "SL-M";
  if (unpriced && body.price !== 0) {
    return { ok: false, answer: answers.badInput("UDAPI1040", "Price must be 0", "price") };
  }
  if (!unpriced && body.price <= 0) {
    return { ok: false, answer: answers.badInput("UDAPI1040", "Invalid price", "price") };
  }
  // Since April 2026 a market order needs protection; an omitted value is refused too here,
  // the stricter reading of an unverified rule.
  if (unpriced && (body.market_protection === undefined || body.market_protection === 0)) {
    return {
      ok: false,
      answer: answers.badInput(
        "UDAPI1158",
        "Market protection is mandatory for market orders",
        "market_protection",
      ),
    };
  }
  if (body.tag !== undefined && body.tag.length > 40) {
    return {
      ok: false,
      answer: answers.badInput("UDAPI1119", "Tag length should be less than 40", "tag"),
    };
  }
  if (body.quantity % instrument.lot_size !== 0) {
    return {
      ok: false,
      answer: answers.badInput("UDAPI1031", "Quantity must be a multiple of lot size", "quantity"),
    };
  }
  return { ok: true, body, instrument };
}

function place(raw: unknown, deps: RouteDeps): Answer {
  const valid = validatePlacement(raw, deps);
  if (!valid.ok) return valid.answer;
  const orderId = deps.book.place(valid.body, valid.instrument);
  return { status: 200, body: success({ order_ids: [orderId] }) };
}

function cancel(query: URLSearchParams, deps: RouteDeps): Answer {
  const orderId = query.get("order_id");
  if (orderId === null) return answers.badInput("UDAPI1026", "order_id is required", "order_id");
  const outcome = deps.book.cancel(orderId);
  switch (outcome.kind) {
    case "ok":
      return { status: 200, body: success({ order_id: orderId }) };
    case "unknown_order":
      return answers.badInput("UDAPI100010", "Order not found", "order_id");
    case "final":
      return answers.badInput(
        "UDAPI100040",
        `Order is already in ${outcome.status} state and cannot be cancelled`,
        "order_id",
      );
  }
}
