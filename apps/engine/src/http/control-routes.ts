import { createHash, timingSafeEqual } from "node:crypto";
import {
  type Clock,
  type ControlRequest,
  ControlRequestSchema,
  controlRequestProblems,
  errorMessage,
  type Logger,
} from "@engine/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ControlBoard } from "../controls/control-board.js";
import type { PositionLedger } from "../journal/position-ledger.js";

export interface ControlRoutesOptions {
  board: ControlBoard;
  positions: PositionLedger;
  /** The bearer token writes need; null: the admin API is read-only. A secret: never logged. */
  adminToken: string | null;
  /** The namespaces this engine serves: a change naming another is refused (400). */
  namespaces: () => readonly string[];
  clock: Clock;
  logger: Logger;
}

/** The longest `X-Operator`, as the body's `operator` (`ControlRequestSchema`). */
const MAX_OPERATOR_LENGTH = 200;

const PositionQuerySchema = z.object({
  namespace: z.string().min(1).optional(),
  strategy_id: z.string().min(1).optional(),
});

/**
 * The admin API: `GET /control` (the state of every scope), `POST /control` (a change, written to
 * the control topic: 202 once it is there; 401 without the right bearer token, each attempt logged
 * without what it sent; 403 when no token is configured; 400 naming the field for a body that does
 * not parse, an `expires_at` already past or a namespace this engine does not serve),
 * `GET /positions` (the ledger).
 */
export function registerControlRoutes(app: FastifyInstance, options: ControlRoutesOptions): void {
  const expected = options.adminToken === null ? null : digest(options.adminToken);

  app.get("/control", async () => ({
    caught_up: options.board.caughtUp,
    scopes: options.board.list(),
  }));

  // The token is checked on the request line and headers (`onRequest`), before the body is read:
  // a caller without it learns nothing from how its body would have been judged.
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    if (expected === null) {
      return reply
        .code(403)
        .send({ error: "the admin API is read-only: ENGINE_ADMIN_TOKEN is not set" });
    }
    if (authorized(request, expected)) return;
    options.logger.warn(
      {
        remote: request.ip,
        // Not `authorization`: the logger redacts that key.
        credentials: request.headers.authorization === undefined ? "missing" : "wrong",
      },
      "admin API: a control change without a valid bearer token was refused (401)",
    );
    return reply.code(401).send({ error: "a valid Authorization: Bearer token is required" });
  };

  app.post("/control", { onRequest: authorize }, async (request, reply) => {
    const parsed = parseChange(request.body, options);
    if (!parsed.ok) {
      return reply.code(400).send({ error: "invalid control request", issues: parsed.issues });
    }
    const operatorHeader = request.headers["x-operator"];
    if (typeof operatorHeader === "string" && operatorHeader.length > MAX_OPERATOR_LENGTH) {
      const message = `at most ${MAX_OPERATOR_LENGTH} characters, as the body's operator`;
      return reply.code(400).send({
        error: "invalid control request",
        issues: [{ path: "X-Operator", message }],
      });
    }
    const operator =
      typeof operatorHeader === "string" && operatorHeader ? operatorHeader : "admin-api";
    try {
      const control = await options.board.request(parsed.request, operator);
      return reply.code(202).send({ accepted: control });
    } catch (error) {
      options.logger.error({ err: errorMessage(error) }, "writing a control change failed");
      return reply.code(503).send({ error: "the control topic is unavailable: nothing changed" });
    }
  });

  app.get("/positions", async (request, reply) => {
    const query = PositionQuerySchema.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: "invalid query" });
    const positions = await options.positions.positions({
      ...(query.data.namespace === undefined ? {} : { namespace: query.data.namespace }),
      ...(query.data.strategy_id === undefined ? {} : { strategyId: query.data.strategy_id }),
    });
    return { positions };
  });
}

/** The body as a change this engine can take, else what is wrong with it, field by field. */
function parseChange(
  body: unknown,
  options: ControlRoutesOptions,
):
  | { ok: true; request: ControlRequest }
  | { ok: false; issues: { path: string; message: string }[] } {
  const parsed = ControlRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.join("."),
      message: issue.message,
    }));
    return { ok: false, issues };
  }
  const problems = controlRequestProblems(parsed.data, {
    now: options.clock.now(),
    namespaces: options.namespaces(),
  });
  return problems.length > 0 ? { ok: false, issues: problems } : { ok: true, request: parsed.data };
}

/** `Bearer <token>`, the scheme in any case (RFC 9110 11.1). */
const BEARER = /^bearer +(\S+) *$/i;

/** Whether the request carries the token; compared in constant time, digests of equal length. */
function authorized(request: FastifyRequest, expected: Buffer): boolean {
  const token = BEARER.exec(request.headers.authorization ?? "")?.[1];
  return token !== undefined && timingSafeEqual(digest(token), expected);
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
