import { z } from "zod";
import { assertNamespace, MARKET_TICKS_TOPIC } from "../topics/topic-map.js";
import { envBoolean, envEnum, envInteger, envList, envOptional } from "./env.js";

const namespace = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const text = value?.trim() || "paper";
    try {
      assertNamespace(text);
    } catch {
      // Not the thrown message: it quotes the value, and settings errors never show values.
      ctx.addIssue({
        code: "custom",
        message: 'expected lowercase letters, digits, "_" or "-", starting with a letter',
      });
      return z.NEVER;
    }
    return text;
  });

const holidayList = envList().refine(
  (dates) => dates.every((date) => /^\d{4}-\d{2}-\d{2}$/.test(date)),
  "expected comma-separated YYYY-MM-DD dates",
);

/**
 * The engine's own configuration, read from environment variables (brokers add theirs through
 * their plugins). Without `KAFKA_BROKERS` and `DATABASE_URL` the engine runs embedded.
 */
export const EngineSettingsSchema = z
  .object({
    KAFKA_BROKERS: envList(),
    KAFKA_CLIENT_ID: envOptional(),
    KAFKA_GROUP_ID_PREFIX: envOptional(),
    KAFKA_SSL: envBoolean(false),
    KAFKA_SASL_MECHANISM: envEnum(["none", "plain", "scram-sha-256", "scram-sha-512"], "none"),
    KAFKA_SASL_USERNAME: envOptional(),
    KAFKA_SASL_PASSWORD: envOptional(),
    KAFKA_TOPIC_PARTITIONS: envInteger(3, { min: 1, max: 1000 }),
    KAFKA_REPLICATION_FACTOR: envInteger(-1, { min: -1, max: 10 }),
    KAFKA_TICKS_FROM_BEGINNING: envBoolean(false),
    MARKET_TICKS_TOPIC: envOptional().refine(
      (topic) => topic === undefined || /^[A-Za-z0-9._-]{1,249}$/.test(topic),
      "expected a Kafka topic name: letters, digits, '.', '_' or '-'",
    ),
    DATABASE_URL: envOptional(),
    BROKER_NAMESPACE: namespace,
    ENGINE_MODE: envEnum(["normal", "shadow"], "normal"),
    SHADOW_TOPIC_PREFIX: envOptional(),
    MARKET_HOURS_MODE: envEnum(["nse", "always_open"], "nse"),
    MARKET_EXTRA_HOLIDAYS: holidayList,
    STRATEGY_CONFIG_TTL_MS: envInteger(5_000, { min: 0, max: 3_600_000 }),
    EXECUTION_TIMEOUT_MS: envInteger(15_000, { min: 100, max: 600_000 }),
    TRADER_INIT_TIMEOUT_MS: envInteger(15_000, { min: 100, max: 600_000 }),
    HTTP_PORT: envInteger(8080, { min: 0, max: 65_535 }),
    LOG_LEVEL: envEnum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], "info"),
  })
  .superRefine(
    (env, ctx) => {
      // Runs even when other variables are bad (`when` below), so one start-up names them all;
      // a bad mechanism is then not a string, and is reported on its own.
      const mechanism: unknown = env.KAFKA_SASL_MECHANISM;
      if (typeof mechanism === "string" && mechanism !== "none") {
        for (const variable of ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"] as const) {
          if (!env[variable]) {
            ctx.addIssue({
              code: "custom",
              path: [variable],
              message: "required when KAFKA_SASL_MECHANISM is set",
            });
          }
        }
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  )
  .transform((env) => ({
    kafka:
      env.KAFKA_BROKERS.length === 0
        ? null
        : {
            brokers: env.KAFKA_BROKERS,
            clientId: env.KAFKA_CLIENT_ID ?? "trading-engine",
            ssl: env.KAFKA_SSL,
            sasl:
              env.KAFKA_SASL_MECHANISM !== "none" &&
              env.KAFKA_SASL_USERNAME &&
              env.KAFKA_SASL_PASSWORD
                ? {
                    mechanism: env.KAFKA_SASL_MECHANISM,
                    username: env.KAFKA_SASL_USERNAME,
                    password: env.KAFKA_SASL_PASSWORD,
                  }
                : null,
            topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
            replicationFactor: env.KAFKA_REPLICATION_FACTOR,
            ticksFromBeginning: env.KAFKA_TICKS_FROM_BEGINNING,
          },
    ticksTopic: env.MARKET_TICKS_TOPIC ?? MARKET_TICKS_TOPIC,
    groupIdPrefix: env.KAFKA_GROUP_ID_PREFIX ?? "engine",
    databaseUrl: env.DATABASE_URL ?? null,
    namespace: env.BROKER_NAMESPACE,
    mode: env.ENGINE_MODE,
    shadowTopicPrefix: env.SHADOW_TOPIC_PREFIX ?? "shadow.",
    marketHours: { mode: env.MARKET_HOURS_MODE, extraHolidays: env.MARKET_EXTRA_HOLIDAYS },
    strategyConfigTtlMs: env.STRATEGY_CONFIG_TTL_MS,
    executionTimeoutMs: env.EXECUTION_TIMEOUT_MS,
    traderInitTimeoutMs: env.TRADER_INIT_TIMEOUT_MS,
    httpPort: env.HTTP_PORT,
    logLevel: env.LOG_LEVEL,
  }));
export type EngineSettings = z.infer<typeof EngineSettingsSchema>;

/** Variables whose values are secrets: never logged, never echoed. */
export const ENGINE_SECRET_VARIABLES = ["KAFKA_SASL_PASSWORD", "DATABASE_URL"] as const;
