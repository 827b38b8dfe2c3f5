import type { Clock, Env, Logger } from "@engine/core";
import { paperPlugin } from "@engine/trader-paper";
import { Engine, type RunningEngine } from "../../../src/app/engine.js";
import type { AnyTraderPlugin } from "../../../src/app/plugins.js";
import { createLogger } from "../../../src/observability/logger.js";
import { KAFKA_BROKERS, LIVE_DEFAULT_LIMITS_OFF } from "./environment.js";
import { LIVE_STANDIN_PLUGIN } from "./live-standin.js";
import type { Teardown } from "./teardown.js";

export interface TestEngine {
  engine: Engine;
  running: RunningEngine;
  stop(): Promise<void>;
  /** Ticks applied so far. */
  ticksApplied(): Promise<number>;
}

/** The environment every test engine shares: real Kafka, a test database, silent HTTP port. */
export function baseEnv(databaseUrl: string, namespace: string, extra: Env = {}): Env {
  return {
    KAFKA_BROKERS,
    KAFKA_CLIENT_ID: "engine-it",
    KAFKA_GROUP_ID_PREFIX: `it-${namespace}`,
    DATABASE_URL: databaseUrl,
    BROKER_NAMESPACE: namespace,
    MARKET_HOURS_MODE: "always_open",
    STRATEGY_CONFIG_TTL_MS: "500",
    HTTP_PORT: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    ...LIVE_DEFAULT_LIMITS_OFF,
    ...extra,
  };
}

/**
 * Starts an engine in this process, stopped at the teardown: with paper and the live stand-in
 * unless `plugins` says otherwise, logging at the environment's LOG_LEVEL unless given a logger.
 */
export async function startEngine(
  teardown: Teardown,
  env: Env,
  options: { clock?: Clock; logger?: Logger; plugins?: AnyTraderPlugin[]; http?: boolean } = {},
): Promise<TestEngine> {
  const engine = new Engine({
    env,
    logger: options.logger ?? createLogger({ level: env.LOG_LEVEL ?? "warn", pretty: false }),
    plugins: options.plugins ?? [paperPlugin, LIVE_STANDIN_PLUGIN],
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.http === undefined ? {} : { http: options.http }),
  });
  const running = await engine.start();
  teardown.defer(() => engine.stop());
  return {
    engine,
    running,
    stop: () => engine.stop(),
    ticksApplied: async () => (await running.metrics.ticks.get()).values[0]?.value ?? 0,
  };
}
