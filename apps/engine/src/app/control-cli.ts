import { randomBytes } from "node:crypto";
import { hostname, userInfo } from "node:os";
import {
  type ControlRequest,
  ControlRequestSchema,
  controlFromRequest,
  controlRequestProblems,
  type Env,
  type Logger,
  loadSettings,
  parseJson,
  SettingsError,
  systemClock,
  TradingControlSchema,
  TradingControls,
  type TradingState,
} from "@engine/core";
import { z } from "zod";
import { KafkaControlLog } from "../controls/kafka-control-log.js";
import { EngineSettingsSchema } from "../settings/engine-settings.js";

/** What `engine halt|reduce|resume` take. */
export interface ControlCommandOptions {
  namespace?: string;
  strategy?: string;
  reason: string;
  cancelOpen?: boolean;
  expiresAt?: string;
  operator?: string;
}

/**
 * The control log as the engine's settings name it (`KAFKA_*`, `ENGINE_CONTROL_TOPIC`), for the
 * CLI: it needs no engine and no HTTP, so it works while the engine's API is unreachable.
 * @throws SettingsError when the settings are bad or name no Kafka (an embedded engine's control
 *   log lives in its own process: use its HTTP API)
 */
function openControlLog(env: Env, logger: Logger): KafkaControlLog {
  const settings = loadSettings(EngineSettingsSchema, env);
  if (!settings.kafka) {
    throw new SettingsError([
      {
        variable: "KAFKA_BROKERS",
        message:
          "required by the control commands (an embedded engine takes changes on its HTTP API)",
      },
    ]);
  }
  return new KafkaControlLog({
    connection: settings.kafka,
    topic: settings.controlTopic,
    groupId: `${settings.groupIdPrefix}.trading_engine.control.cli-${randomBytes(4).toString("hex")}`,
    replicationFactor: settings.kafka.replicationFactor,
    // The engine creates it: a misspelt name must not become a log no engine reads.
    createIfMissing: false,
    logger,
  });
}

/**
 * The request a command makes: the narrowest scope its options name. The CLI loads no traders,
 * so unlike the admin API it cannot refuse a namespace the engine does not serve.
 * @throws ZodError for options that make no valid request, or an `--expires-at` already past at
 *   `now` (epoch ms)
 */
export function controlRequestOf(
  state: TradingState,
  options: ControlCommandOptions,
  now: number,
): ControlRequest {
  const scope = options.strategy ? "strategy" : options.namespace ? "namespace" : "global";
  const request = ControlRequestSchema.parse({
    scope,
    namespace: options.namespace,
    strategy_id: options.strategy,
    state,
    reason: options.reason,
    cancel_open: options.cancelOpen ?? false,
    expires_at: options.expiresAt,
    operator: options.operator,
  });
  const problems = controlRequestProblems(request, { now });
  if (problems.length > 0) {
    throw new z.ZodError(
      problems.map(({ path, message }) => ({
        code: "custom",
        path: [path],
        message,
        input: request,
      })),
    );
  }
  return request;
}

/**
 * Writes a change to the control topic; resolves with it once the bus acknowledged it.
 * @throws ZodError for options that make no valid request; SettingsError for bad settings
 */
export async function sendControl(
  env: Env,
  state: TradingState,
  options: ControlCommandOptions,
  logger: Logger,
) {
  const now = systemClock.now();
  const request = controlRequestOf(state, options, now);
  const log = openControlLog(env, logger);
  try {
    const operator = `${userInfo().username}@${hostname()}`;
    const control = controlFromRequest(request, operator, now);
    await log.append(control);
    return control;
  } finally {
    await log.close();
  }
}

/** Reads the control topic to its end: the latest change of every scope. */
export async function controlStatus(env: Env, logger: Logger) {
  const log = openControlLog(env, logger);
  let controls = new TradingControls();
  try {
    await log.follow({
      record: (value) => {
        const json = parseJson(value);
        const parsed = json.ok ? TradingControlSchema.safeParse(json.value) : null;
        if (parsed?.success) controls.apply(parsed.data);
      },
      rewind: () => {
        controls = new TradingControls();
      },
      caughtUp: () => {},
    });
    return controls.list(systemClock.now());
  } finally {
    await log.close();
  }
}
