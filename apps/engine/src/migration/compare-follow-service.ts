import { HttpServer } from "../http/http-server.js";
import { createLogger } from "../observability/logger.js";
import { CompareFollower, type FollowOptions } from "./compare-follow.js";
import { discoverNamespaces } from "./compare-run.js";
import { DivergenceMetrics } from "./divergence-metrics.js";

/** How often settled signals are judged, ms. */
const SETTLE_INTERVAL_MS = 5_000;

/** A running `engine compare --follow`: its metrics port, and how to stop it. */
export interface FollowingService {
  port: number;
  metrics: DivergenceMetrics;
  follower: CompareFollower;
  stop(): Promise<void>;
}

/**
 * Starts the continuous comparison and its HTTP server (`/metrics`, `/health`, `/ready`); the
 * namespaces default to every one with result topics under either prefix now. Stops in reverse.
 */
export async function startFollowing(
  options: Omit<FollowOptions, "intervalMs" | "metrics" | "logger"> & {
    /** Of `/metrics`; 0: any free port. */
    port: number;
    logLevel: string;
  },
): Promise<FollowingService> {
  const logger = createLogger({ level: options.logLevel });
  const namespaces =
    options.namespaces.length > 0
      ? [...options.namespaces]
      : await discoverNamespaces(options.kafka, [options.oldPrefix, options.newPrefix]);
  const metrics = new DivergenceMetrics();
  const follower = new CompareFollower({
    ...options,
    namespaces,
    intervalMs: SETTLE_INTERVAL_MS,
    metrics,
    logger,
  });
  await follower.start();
  const http = new HttpServer({
    port: options.port,
    metrics,
    readiness: async () => ({ ready: true, checks: {} }),
  });
  const port = await http.start();
  logger.info(
    { port, namespaces, signals: options.signalsTopic },
    "comparing continuously: /metrics",
  );
  return {
    port,
    metrics,
    follower,
    stop: async () => {
      await http.stop();
      await follower.stop();
    },
  };
}
