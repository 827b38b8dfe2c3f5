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
  const reply = (answer: Answer) => {
    entry.outcome = answer.status;
    write(res, answer, state.faults.latencyMs);
  };
  if (kind === null) return reply(answers.notFound());
  const token = state.token();
  if (token === null || req.headers.authorization !== `Bearer ${token}`) {
    return reply(answers.badToken());
  }
  const windows = kind === "read" ? state.readWindows : state.orderWindows;
  if (!windows.admit(state.clock())) return reply(answers.rateLimited());
  if (state.faults.take("connectionReset", kind) !== null) {
    entry.outcome = "reset";
    req.socket.destroy();
    return;
  }
  if (state.faults.take("tooManyRequests", kind) !== null) return reply(answers.rateLimited());
  const status = state.faults.take("serverError", kind);
  if (status !== null) return reply(answers.serverError(status));
  if (kind === "place") {
    const afterCreate = state.faults.take("serverErrorAfterCreate", kind);
    const silent = afterCreate === null && state.faults.take("timeoutAfterAccept", kind) !== null;
    if (afterCreate !== null || silent) {
      const valid = validatePlacement(body, state);
      if (!valid.ok) return reply(valid.answer);
      state.book.place(valid.body, valid.instrument);
      if (afterCreate !== null) return reply(answers.serverError(afterCreate));
      entry.outcome = "no-answer";
      state.silent.add(req);
      req.socket.once("close", () => state.silent.delete(req));
      return;
    }
  }
  reply(answerApi({ method, path: url.pathname, query: url.searchParams, body }, state));
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
