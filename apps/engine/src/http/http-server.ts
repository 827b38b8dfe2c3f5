import Fastify, { type FastifyInstance } from "fastify";
import type { EngineMetrics } from "../observability/metrics.js";

/** Why the engine is or is not ready, part by part. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; reason?: string }>;
}

export interface HttpServerOptions {
  port: number;
  host?: string;
  /** What `/metrics` serves: the engine's metrics, or any registry rendered the same way. */
  metrics: Pick<EngineMetrics, "render" | "contentType">;
  readiness(): Promise<Readiness>;
  /** More routes (the admin API). */
  routes?(app: FastifyInstance): void;
}

/**
 * `/health` (alive), `/ready` (503 with reasons when not), `/metrics` (Prometheus), and the
 * routes `options.routes` adds.
 */
export class HttpServer {
  readonly #app: FastifyInstance;
  readonly #o: HttpServerOptions;

  constructor(options: HttpServerOptions) {
    this.#o = options;
    this.#app = Fastify({ logger: false });
    this.#app.get("/health", async () => ({ status: "ok" }));
    this.#app.get("/ready", async (_request, reply) => {
      const readiness = await options.readiness();
      return reply.code(readiness.ready ? 200 : 503).send(readiness);
    });
    this.#app.get("/metrics", async (_request, reply) => {
      const body = await options.metrics.render();
      return reply.header("content-type", options.metrics.contentType).send(body);
    });
    options.routes?.(this.#app);
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    await this.#app.listen({ port: this.#o.port, host: this.#o.host ?? "0.0.0.0" });
    const address = this.#app.server.address();
    return typeof address === "object" && address ? address.port : this.#o.port;
  }

  async stop(): Promise<void> {
    await this.#app.close();
  }
}
