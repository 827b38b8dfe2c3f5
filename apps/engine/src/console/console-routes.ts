import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { OrderBudget, TraderHealth } from "@engine/core";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { ControlBoard } from "../controls/control-board.js";
import { DatabaseUnavailableError } from "../errors/database-errors.js";
import type { PositionLedger } from "../journal/position-ledger.js";
import type { LagRow } from "./consumer-lag.js";
import { EventStreams, sseFrame } from "./event-stream.js";
import { pnlByStrategy, realisedPnl } from "./realised-pnl.js";
import { BLOTTER_STATES, type RecentActivity } from "./recent-activity.js";

/** Where the console's page, script and styles are: `console/` beside `src/` and `dist/`. */
const CONSOLE_DIR = fileURLToPath(new URL("../../console/", import.meta.url));
const require = createRequire(import.meta.url);
/** Vega's and vega-lite's browser builds, served by the engine: the page fetches nothing outside it. */
const VENDOR_FILES = {
  "vega.min.js": `${dirname(require.resolve("vega"))}/vega.min.js`,
  "vega-lite.min.js": `${dirname(require.resolve("vega-lite"))}/vega-lite.min.js`,
} as const;

/**
 * The page may load and connect to its own origin only (a browser-enforced "nothing outside the
 * engine"); vega compiles its expressions with `new Function`, hence `unsafe-eval`.
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface ConsoleOptions {
  activity: RecentActivity;
  board: ControlBoard;
  positions: Pick<PositionLedger, "fills">;
  instanceId: string;
  /** `embedded` (in-process bus, PGlite) or `kafka`. */
  mode: "embedded" | "kafka";
  /** Whether `POST /control` takes changes (ENGINE_ADMIN_TOKEN is set); the token itself never comes here. */
  adminWritable: boolean;
  namespaces(): string[];
  health(): Record<string, TraderHealth>;
  /** Executions followed now (open orders), by namespace. */
  openOrders(): Record<string, number>;
  /** The account's order limits a namespace's trader declares; undefined for a simulator. */
  orderBudget(namespace: string): OrderBudget | undefined;
  /** Slots of the shared order budget taken in each window, every instance together. */
  budgetInUse(namespace: string): Promise<{ second: number; minute: number; day: number }>;
  /** The consumer lag per partition; null where it means nothing (the in-process bus). */
  consumerLag(): Promise<LagRow[] | null>;
}

const ExecutionQuerySchema = z.object({
  strategy_id: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  state: z.enum(BLOTTER_STATES).optional(),
  limit: z.coerce.number().int().positive().max(5_000).optional(),
});

/**
 * The browser console: the page at `/` (static files from `console/`), its vendored chart
 * libraries under `/assets/vendor/`, and read-only JSON under `/api/`: `overview`, `executions`
 * (the blotter, newest first; query `strategy_id`, `namespace`, `state`, `limit`), `namespaces`
 * (health, open orders, order budget in use, trading scopes), `positions` (realised P&L by average
 * cost), `latency` (signal-to-fill, last minutes), `lag`, `dead-letters`, and `events`, a
 * server-sent-event stream of `execution`, `dead_letter` and `control` events. Changes of trading
 * state go through the admin API's `POST /control` with the operator's token.
 */
export function registerConsole(app: FastifyInstance, options: ConsoleOptions): void {
  const streams = new EventStreams();
  // Before the server closes: it waits for open connections, and an event stream never ends.
  app.addHook("preClose", async () => streams.closeAll());

  // Loaded with the server (fastify awaits registered plugins before it listens).
  void app.register(fastifyStatic, {
    root: CONSOLE_DIR,
    prefix: "/assets/",
    index: false,
    wildcard: false,
  });
  app.get("/", (_request, reply) =>
    reply.header("content-security-policy", CONSOLE_CSP).sendFile("index.html"),
  );
  for (const [name, path] of Object.entries(VENDOR_FILES)) {
    app.get(`/assets/vendor/${name}`, (_request, reply) =>
      reply
        .header("cache-control", "public, max-age=86400")
        .sendFile(path.slice(dirname(path).length + 1), dirname(path)),
    );
  }

  app.get("/api/overview", async () => ({
    instance_id: options.instanceId,
    mode: options.mode,
    admin_writable: options.adminWritable,
    namespaces: options.namespaces(),
  }));

  app.get("/api/executions", async (request, reply) => {
    const query = ExecutionQuerySchema.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: "invalid query" });
    const { strategy_id, namespace, state, limit } = query.data;
    return {
      executions: options.activity.executions({
        ...(strategy_id === undefined ? {} : { strategy_id }),
        ...(namespace === undefined ? {} : { namespace }),
        ...(state === undefined ? {} : { state }),
        ...(limit === undefined ? {} : { limit }),
      }),
    };
  });

  app.get("/api/namespaces", async (_request, reply) => {
    const health = options.health();
    const open = options.openOrders();
    const namespaces = await fromDatabase(reply, () =>
      Promise.all(
        options.namespaces().map(async (namespace) => {
          const limits = options.orderBudget(namespace) ?? null;
          return {
            namespace,
            health: health[namespace] ?? { status: "unavailable", reason: "not registered" },
            open_orders: open[namespace] ?? 0,
            budget:
              limits === null ? null : { limits, in_use: await options.budgetInUse(namespace) },
          };
        }),
      ),
    );
    if (namespaces === undefined) return reply;
    return { namespaces, caught_up: options.board.caughtUp, scopes: options.board.list() };
  });

  app.get("/api/positions", async (_request, reply) => {
    const fills = await fromDatabase(reply, () => options.positions.fills());
    if (fills === undefined) return reply;
    const positions = realisedPnl(fills);
    return { method: "average_cost", positions, strategies: pnlByStrategy(positions) };
  });

  app.get("/api/latency", async () => ({ points: options.activity.latency() }));

  app.get("/api/lag", async () => {
    const partitions = await options.consumerLag();
    return partitions === null
      ? { applicable: false, reason: "the in-process bus of embedded mode has no consumer lag" }
      : {
          applicable: true,
          total: partitions.reduce((sum, row) => sum + row.lag, 0),
          partitions,
        };
  });

  app.get("/api/dead-letters", async () => ({ dead_letters: options.activity.deadLetters() }));

  app.get("/api/events", (_request, reply) => {
    // The stream is written on the raw response: fastify must not answer it as well.
    reply.hijack();
    const response = reply.raw;
    const stop = options.activity.subscribe((event) => {
      const payload =
        event.type === "execution"
          ? event.row
          : event.type === "dead_letter"
            ? event.letter
            : event.control;
      streams.send(response, sseFrame(event.type, payload));
    });
    streams.open(response, stop);
  });
}

/**
 * The answer of a read that needs the database, or undefined once a 503 naming the failure was
 * sent (the database away is an answer the page shows, not a server error).
 */
async function fromDatabase<T>(
  reply: FastifyReply,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    await reply.code(503).send({ error: error.message });
    return undefined;
  }
}
