import {
  assertNamespace,
  CalendarDateSchema,
  envBoolean,
  envEnum,
  envInteger,
  envLimit,
  envLimitOverrides,
  envList,
  envOptional,
  MARKET_TICKS_TOPIC,
  type MarketSession,
  type PreTradeSettings,
  parseSessionEntry,
} from "@engine/core";
import { z } from "zod";
import { LOG_FORMATS } from "../observability/logger.js";

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

/** `namespace=milliseconds` pairs, comma-separated: per-namespace overrides of a duration. */
const namespaceDurations = envList().transform((entries, ctx) => {
  const durations: Record<string, number> = {};
  for (const entry of entries) {
    const match = /^([a-z][a-z0-9_-]*)=(\d{1,10})$/.exec(entry);
    if (!match?.[1] || match[2] === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "expected namespace=milliseconds pairs, comma-separated",
      });
      return z.NEVER;
    }
    durations[match[1]] = Number(match[2]);
  }
  return durations;
});

/**
 * Where the signals group starts reading a partition it has no committed offset for: `earliest`
 * (the first retained signal; nothing is skipped), `latest` (only what is produced from then on;
 * skips what was produced while no instance had committed), or an ISO-8601 time with an offset
 * (the first signal written at or after it).
 */
const signalsStart = z
  .string()
  .optional()
  .transform((value, ctx): SignalsStart => {
    const text = value?.trim() ?? "";
    if (text === "" || text.toLowerCase() === "earliest") return { kind: "earliest" };
    if (text.toLowerCase() === "latest") return { kind: "latest" };
    const at = Date.parse(text);
    if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(text) && Number.isFinite(at)) {
      return { kind: "time", at };
    }
    ctx.addIssue({
      code: "custom",
      message: "expected earliest, latest, or an ISO-8601 time with an offset",
    });
    return z.NEVER;
  });

/** Where the signals group starts a partition it has no committed offset for. */
export type SignalsStart =
  | { kind: "earliest" }
  | { kind: "latest" }
  /** `at`: milliseconds since the Unix epoch. */
  | { kind: "time"; at: number };

const holidayList = envList().refine(
  (dates) => dates.every((date) => CalendarDateSchema.safeParse(date).success),
  "expected comma-separated YYYY-MM-DD dates",
);

/** `MARKET_EXTRA_SESSIONS`: comma-separated `YYYY-MM-DD HH:MM-HH:MM` entries, IST. */
const sessionList = envList().transform((entries, ctx): MarketSession[] => {
  const sessions = entries.map((entry) => parseSessionEntry(entry, "extra session"));
  if (sessions.every((session) => session !== null)) return sessions;
  // Which entry is bad, by position: settings errors never show values.
  const bad = sessions.flatMap((session, index) => (session === null ? [index + 1] : []));
  ctx.addIssue({
    code: "custom",
    message:
      "expected comma-separated YYYY-MM-DD HH:MM-HH:MM entries (IST, the session closing after " +
      `it opens); bad entry number ${bad.join(", ")}`,
  });
  return z.NEVER;
});

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
    KAFKA_SIGNALS_START: signalsStart,
    // The broker's floor is group.min.session.timeout.ms (6 s by default).
    KAFKA_SESSION_TIMEOUT_MS: envInteger(6_000, { min: 1_000, max: 300_000 }),
    KAFKA_MAX_MESSAGE_BYTES: envInteger(1_000_000, { min: 16_384, max: 100_000_000 }),
    TICKS_WARMUP_MS: envInteger(120_000, { min: 0, max: 86_400_000 }),
    TICKS_WARMUP_TIMEOUT_MS: envInteger(5_000, { min: 0, max: 600_000 }),
    PRICE_MAX_AGE_MS: envInteger(120_000, { min: 1, max: 86_400_000 }),
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
    MARKET_EXTRA_SESSIONS: sessionList,
    MARKET_CALENDAR_FILE: envOptional(),
    MARKET_CALENDAR_POLL_MS: envInteger(10_000, { min: 100, max: 3_600_000 }),
    STRATEGY_CONFIG_TTL_MS: envInteger(5_000, { min: 0, max: 3_600_000 }),
    EXECUTION_TIMEOUT_MS: envInteger(15_000, { min: 100, max: 600_000 }),
    ENGINE_LEASE_MS: envInteger(15_000, { min: 1_000, max: 600_000 }),
    MAX_SUBMIT_ATTEMPTS: envInteger(3, { min: 1, max: 10 }),
    ORDER_TTL_MS: envInteger(0, { min: 0, max: 86_400_000 }),
    ORDER_TTL_MS_BY_NAMESPACE: namespaceDurations,
    SIGNAL_MAX_AGE_MS: envInteger(30_000, { min: 100, max: 86_400_000 }),
    SIGNAL_CLOCK_SKEW_MS: envInteger(2_000, { min: 0, max: 600_000 }),
    SIGNAL_MAX_AGE_APPLIES_TO_PAPER: envBoolean(true),
    ENGINE_CONTROL_TOPIC: envOptional().refine(
      (topic) => topic === undefined || /^[A-Za-z0-9._-]{1,249}$/.test(topic),
      "expected a Kafka topic name: letters, digits, '.', '_' or '-'",
    ),
    // Sent as `Authorization: Bearer <token>`: a token with a space or a non-ASCII character
    // could never be presented.
    ENGINE_ADMIN_TOKEN: envOptional().refine(
      (token) => token === undefined || /^[\x21-\x7e]{16,}$/.test(token),
      "expected at least 16 characters, printable ASCII without spaces",
    ),
    ORDER_BUDGET_MAX_WAIT_MS: envInteger(30_000, { min: 0, max: 600_000 }),
    ORDER_BUDGET_MARGIN_MS: envInteger(250, { min: 0, max: 10_000 }),
    RISK_MAX_ORDER_QUANTITY: envLimit("max_order_quantity"),
    RISK_MAX_ORDER_NOTIONAL: envLimit("max_order_notional"),
    RISK_PRICE_COLLAR_PCT: envLimit("price_collar_pct"),
    RISK_MAX_ORDERS_PER_MINUTE: envLimit("max_orders_per_minute"),
    RISK_MAX_ORDERS_PER_DAY: envLimit("max_orders_per_day"),
    RISK_MAX_DAILY_NOTIONAL: envLimit("max_daily_notional"),
    RISK_LIMITS_BY_NAMESPACE: envLimitOverrides(),
    TRADER_INIT_TIMEOUT_MS: envInteger(15_000, { min: 100, max: 600_000 }),
    HTTP_PORT: envInteger(8080, { min: 0, max: 65_535 }),
    LOG_LEVEL: envEnum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], "info"),
    LOG_FORMAT: envEnum(LOG_FORMATS, "auto"),
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
            signalsStart: env.KAFKA_SIGNALS_START,
            sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
            maxMessageBytes: env.KAFKA_MAX_MESSAGE_BYTES,
            ticksWarmupMs: env.TICKS_WARMUP_MS,
            ticksWarmupTimeoutMs: env.TICKS_WARMUP_TIMEOUT_MS,
          },
    ticksTopic: env.MARKET_TICKS_TOPIC ?? MARKET_TICKS_TOPIC,
    priceMaxAgeMs: env.PRICE_MAX_AGE_MS,
    groupIdPrefix: env.KAFKA_GROUP_ID_PREFIX ?? "engine",
    databaseUrl: env.DATABASE_URL ?? null,
    namespace: env.BROKER_NAMESPACE,
    mode: env.ENGINE_MODE,
    shadowTopicPrefix: env.SHADOW_TOPIC_PREFIX ?? "shadow.",
    marketHours: {
      mode: env.MARKET_HOURS_MODE,
      extraHolidays: env.MARKET_EXTRA_HOLIDAYS,
      extraSessions: env.MARKET_EXTRA_SESSIONS,
      calendarFile: env.MARKET_CALENDAR_FILE ?? null,
      calendarPollMs: env.MARKET_CALENDAR_POLL_MS,
    },
    strategyConfigTtlMs: env.STRATEGY_CONFIG_TTL_MS,
    executionTimeoutMs: env.EXECUTION_TIMEOUT_MS,
    leaseMs: env.ENGINE_LEASE_MS,
    maxSubmitAttempts: env.MAX_SUBMIT_ATTEMPTS,
    /**
     * Time in force of open orders, ms: per namespace (`ORDER_TTL_MS_BY_NAMESPACE`), else
     * `defaultMs` (`ORDER_TTL_MS`); 0 is none.
     */
    orderTtl: { defaultMs: env.ORDER_TTL_MS, byNamespace: env.ORDER_TTL_MS_BY_NAMESPACE },
    signalAge: {
      maxAgeMs: env.SIGNAL_MAX_AGE_MS,
      clockSkewMs: env.SIGNAL_CLOCK_SKEW_MS,
      appliesToSimulated: env.SIGNAL_MAX_AGE_APPLIES_TO_PAPER,
    },
    /** The compacted topic of trading-state changes every instance obeys. */
    controlTopic: env.ENGINE_CONTROL_TOPIC ?? "engine.control",
    /** Bearer token of the admin API's writes; null: the admin API is read-only. A secret. */
    adminToken: env.ENGINE_ADMIN_TOKEN ?? null,
    preTrade: {
      global: {
        maxOrderQuantity: env.RISK_MAX_ORDER_QUANTITY,
        maxOrderNotional: env.RISK_MAX_ORDER_NOTIONAL,
        priceCollarPct: env.RISK_PRICE_COLLAR_PCT,
        maxOrdersPerMinute: env.RISK_MAX_ORDERS_PER_MINUTE,
        maxOrdersPerDay: env.RISK_MAX_ORDERS_PER_DAY,
        maxDailyNotional: env.RISK_MAX_DAILY_NOTIONAL,
      },
      byNamespace: env.RISK_LIMITS_BY_NAMESPACE,
    } satisfies PreTradeSettings,
    /**
     * The longest a live order waits for room in the order budget all instances share, ms; past
     * it the order is refused `RATE_LIMITED`.
     */
    orderBudgetMaxWaitMs: env.ORDER_BUDGET_MAX_WAIT_MS,
    /**
     * How much longer than its length each window of the shared order budget is counted, ms:
     * room for the database's and the broker's clocks to differ in rate and rounding (a request
     * counts until a window after its answer, so transit time needs none).
     */
    orderBudgetMarginMs: env.ORDER_BUDGET_MARGIN_MS,
    traderInitTimeoutMs: env.TRADER_INIT_TIMEOUT_MS,
    httpPort: env.HTTP_PORT,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
  }));
/** The engine's parsed settings (`EngineSettingsSchema`): durations in ms, sizes in bytes. */
export type EngineSettings = z.infer<typeof EngineSettingsSchema>;

/** Variables whose values are secrets: never logged, never echoed. */
export const ENGINE_SECRET_VARIABLES = [
  "KAFKA_SASL_PASSWORD",
  "DATABASE_URL",
  "ENGINE_ADMIN_TOKEN",
] as const;
