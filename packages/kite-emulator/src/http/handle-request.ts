import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorState } from "../emulator-state.js";
import type { OrderAction } from "../observability/emulator-stats.js";
import type { LoggedRequest } from "../observability/request-log.js";
import { redactHeaders } from "../observability/request-log.js";
import { ADMIN_ROUTES, type AdminHandler } from "./admin-routes.js";
import type { KiteHandler } from "./kite-call.js";
import { KITE_ROUTES } from "./kite-routes.js";
import { lookupRoute, type RouteLookup } from "./match-route.js";
import { tooManyRequests } from "./order-rate-limit.js";
import { BodyTooLargeError, parseFields, readBody } from "./read-body.js";
import { jsonReply, kiteError, type Reply, textReply } from "./reply.js";
import type { TimerSet } from "./timer-set.js";
import { writeReply } from "./write-reply.js";

const ADMIN_PREFIX = "/__emulator/";

/** The order writes that share Kite's order rate limit, by `METHOD /route`. */
const ORDER_ACTIONS: ReadonlyMap<string, OrderAction> = new Map([
  ["POST /orders/:variety", "place"],
  ["PUT /orders/:variety/:order_id", "modify"],
  ["DELETE /orders/:variety/:order_id", "cancel"],
]);

function statusOf(reply: Reply): number | null {
  if (reply.kind === "body") return reply.status;
  return reply.kind === "hang" ? statusOf(reply.reply) : null;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function handleAdmin(method: string, path: string, raw: string, state: EmulatorState): Reply {
  let body: unknown;
  try {
    body = raw === "" ? undefined : JSON.parse(raw);
  } catch {
    return jsonReply(400, { error: "body is not valid JSON" });
  }
  const lookup = lookupRoute<AdminHandler>(ADMIN_ROUTES, method, path);
  if (lookup.kind === "none") return jsonReply(404, { error: `no admin route ${path}` });
  if (lookup.kind === "wrong-method") return jsonReply(405, { error: `${method} not allowed` });
  return lookup.match.route.handler(body, state);
}

interface KiteRequest {
  req: IncomingMessage;
  lookup: RouteLookup<KiteHandler>;
  query: Record<string, string>;
  body: Record<string, string> | undefined;
  isPlacement: boolean;
  now: number;
}

/** Edge faults first (they answer before Kite looks at anything), then headers, then the route. */
function decideKite(request: KiteRequest, state: EmulatorState): Reply {
  const { req, lookup, isPlacement } = request;
  const tooMany = state.faults.tooManyRequests(isPlacement);
  if (tooMany !== undefined) {
    state.stats.fault("tooManyRequests");
    return tooManyRequests(tooMany.format ?? state.options.rateLimitFormat);
  }
  if (state.faults.unexpectedContentType(isPlacement)) {
    state.stats.fault("unexpectedContentType");
    return textReply(
      200,
      "<html><body><h1>Service temporarily unavailable</h1></body></html>",
      "text/html",
    );
  }
  const auth = state.session.check(header(req, "x-kite-version"), header(req, "authorization"));
  if (auth === "missing-version") {
    return kiteError(400, "InputException", "Invalid or missing `X-Kite-Version` header; send 3.");
  }
  if (auth === "bad-token") {
    return kiteError(403, "TokenException", "Incorrect `api_key` or `access_token`.");
  }
  if (lookup.kind === "none") return kiteError(404, "GeneralException", "Route not found");
  if (lookup.kind === "wrong-method") {
    return kiteError(405, "GeneralException", "Method not allowed");
  }
  if (request.body === undefined) {
    return kiteError(400, "InputException", "Invalid request body.");
  }
  const { route, params } = lookup.match;
  return route.handler(
    { params, query: request.query, body: request.body, now: request.now },
    state,
  );
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  state: EmulatorState,
  timers: TimerSet,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://emulator.local");
  const method = req.method ?? "GET";
  const path = url.pathname;
  const raw = await readBody(req);
  if (path.startsWith(ADMIN_PREFIX)) {
    writeReply(res, handleAdmin(method, path, raw, state), timers);
    return;
  }

  const now = state.clock();
  let body: Record<string, string> | undefined;
  try {
    body = parseFields(header(req, "content-type"), raw);
  } catch {
    body = undefined;
  }
  const lookup = lookupRoute(KITE_ROUTES, method, path);
  const route =
    lookup.kind === "match"
      ? lookup.match.route.template
      : lookup.kind === "wrong-method"
        ? lookup.template
        : path;
  const query = Object.fromEntries(url.searchParams);
  const entry: LoggedRequest = {
    at: new Date(now).toISOString(),
    method,
    path,
    route,
    query,
    headers: redactHeaders(req.headers),
    body: body ?? {},
    status: null,
  };
  state.log.add(entry);
  state.stats.request(method, route, now);
  const action = ORDER_ACTIONS.get(`${method} ${route}`);
  if (action !== undefined) state.stats.orderRequest(action, now);
  const isPlacement = action === "place";

  const reply = decideKite({ req, lookup, query, body, isPlacement, now }, state);
  entry.status = statusOf(reply);
  const latency = state.faults.latencyMs;
  if (latency > 0) await timers.sleep(latency);
  writeReply(res, reply, timers);
}

/** The server's request listener: routes, logs, injects faults and never leaves a request hanging by accident. */
export function createRequestListener(
  state: EmulatorState,
  timers: TimerSet,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res, state, timers).catch((error: unknown) => {
      const reply =
        error instanceof BodyTooLargeError
          ? kiteError(413, "InputException", "Request body too large.")
          : kiteError(500, "GeneralException", "Something went wrong in the emulator.");
      writeReply(res, reply, timers);
    });
  };
}
