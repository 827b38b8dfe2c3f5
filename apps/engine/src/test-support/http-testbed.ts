import type { FastifyInstance } from "fastify";
import { afterEach } from "vitest";
import { HttpServer } from "../http/http-server.js";
import { EngineMetrics } from "../observability/metrics.js";

/**
 * Serves routes on a free port of 127.0.0.1, the way the engine's HTTP server does, and stops
 * every server after each test: call at the top of the file.
 * @returns `serve(routes)`, which resolves with the server's base URL (`http://127.0.0.1:PORT`)
 */
export function useHttpTestbed(): {
  serve(routes: (app: FastifyInstance) => void): Promise<string>;
} {
  const servers: HttpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  return {
    serve: async (routes) => {
      const server = new HttpServer({
        port: 0,
        host: "127.0.0.1",
        metrics: new EngineMetrics(),
        readiness: async () => ({ ready: true, checks: {} }),
        routes,
      });
      servers.push(server);
      return `http://127.0.0.1:${await server.start()}`;
    },
  };
}
