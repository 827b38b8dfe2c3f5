import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultBoard } from "../faults/fault-settings.js";
import { type Answer, answers } from "./envelopes.js";
import type { RequestWindows } from "./request-windows.js";
import { answerApi, type RouteDeps, routeClass, validatePlacement } from "./upstox-routes.js";

/** Where the instrument master is served, as on Upstox's assets host. */
export const MASTER_PATH = "/market-quote/instruments/exchange/complete.json.gz";

/** One API request as received, for tests to assert on (the bearer token is never kept). */
export interface LoggedUpstoxRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The `X-Algo-Name` header, or null. */
  algoName: string | null;
  /** What was answered: an HTTP status, `reset`, or `no-answer` (timeout after accept). */
  outcome: number | "reset" | "no-answer";
}

/** Everything the listener reads and changes. */
export interface ListenerState extends RouteDeps {
  clock: () => number;
  token: () => string | null;
  faults: FaultBoard;
  orderWindows: RequestWindows;
  readWindows: RequestWindows;
  master: () => Buffer;
  log: LoggedUpstoxRequest[];
  /** Sockets answered by no one (timeout after accept), closed on stop. */
  silent: Set<IncomingMessage>;
}

/** The HTTP listener of the emulator: both Upstox hosts are served on the one port. */
export function createListener(state: ListenerState) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    readJson(req).then(
      (body) => handle(state, req, res, body),
      () => write(res, answers.badInput("UDAPI1026", "Invalid JSON body"), 0),
    );
  };
}

function handle(state: ListenerState, req: IncomingMessage, res: ServerResponse, body: unknown) {
  const url = new URL(req.url ?? "/", "http://emulator");
  const method = req.method ?? "GET";
  if (method === "GET" && url.pathname === MASTER_PATH) {
    res.writeHead(200, { "content-type": "application/gzip" });
    res.end(state.master());
    return;
  }
  const kind = routeClass(method, url.pathname);
  const entry = logRequest(state, req, method, url, body);
  const reply = (answer: Answer) => {
    entry.outcome = answer.status;
    write(res, answer, state.faults.latencyMs);
  };
  if (kind === null) return reply(answers.notFound());
  const refused = refusal(state, req, kind);
  if (refused === "reset") {
    entry.outcome = "reset";
    req.socket.destroy();
    return;
  }
  if (refused !== null) return reply(refused);
  if (kind === "place" && placedWithoutAnswer(state, req, entry, body, reply)) return;
  reply(answerApi({ method, path: url.pathname, query: url.searchParams, body }, state));
}

function logRequest(
  state: ListenerState,
  req: IncomingMessage,
  method: string,
  url: URL,
  body: unknown,
): LoggedUpstoxRequest {
  const algo = req.headers["x-algo-name"];
  const entry: LoggedUpstoxRequest = {
    at: state.clock(),
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body,
    algoName: typeof algo === "string" ? algo : null,
    outcome: 200,
  };
  state.log.push(entry);
  return entry;
}

/**
 * What answers a request before the API does, in Upstox's order: the token, the rate limit, then
 * the scripted faults; "reset" drops the connection; null lets the request through.
 */
function refusal(
  state: ListenerState,
  req: IncomingMessage,
  kind: NonNullable<ReturnType<typeof routeClass>>,
): Answer | "reset" | null {
  const token = state.token();
  if (token === null || req.headers.authorization !== `Bearer ${token}`) {
    return answers.badToken();
  }
  const windows = kind === "read" ? state.readWindows : state.orderWindows;
  if (!windows.admit(state.clock())) return answers.rateLimited();
  if (state.faults.take("connectionReset", kind) !== null) return "reset";
  if (state.faults.take("tooManyRequests", kind) !== null) return answers.rateLimited();
  const status = state.faults.take("serverError", kind);
  return status === null ? null : answers.serverError(status);
}

/**
 * The faults after creation: the order is placed, then answered with a 5xx or not at all.
 * Returns whether one of them played (the request is answered, or left hanging, here).
 */
function placedWithoutAnswer(
  state: ListenerState,
  req: IncomingMessage,
  entry: LoggedUpstoxRequest,
  body: unknown,
  reply: (answer: Answer) => void,
): boolean {
  const afterCreate = state.faults.take("serverErrorAfterCreate", "place");
  const silent = afterCreate === null && state.faults.take("timeoutAfterAccept", "place") !== null;
  if (afterCreate === null && !silent) return false;
  const valid = validatePlacement(body, state);
  if (!valid.ok) {
    reply(valid.answer);
    return true;
  }
  state.book.place(valid.body, valid.instrument);
  if (afterCreate !== null) {
    reply(answers.serverError(afterCreate));
    return true;
  }
  entry.outcome = "no-answer";
  state.silent.add(req);
  req.socket.once("close", () => state.silent.delete(req));
  return true;
}

function write(res: ServerResponse, answer: Answer, latencyMs: number): void {
  const send = () => {
    if (res.destroyed) return;
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(JSON.stringify(answer.body));
  };
  if (latencyMs > 0) setTimeout(send, latencyMs).unref();
  else send();
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text.trim() === "" ? null : JSON.parse(text);
}
