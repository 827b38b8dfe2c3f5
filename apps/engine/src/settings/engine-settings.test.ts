import { type Env, loadSettings, SettingsError } from "@engine/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENGINE_SECRET_VARIABLES, EngineSettingsSchema } from "./engine-settings.js";

function load(env: Env) {
  return loadSettings(EngineSettingsSchema, env);
}

function settingsError(env: Env): SettingsError {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error("expected the settings to be rejected");
}

/** Everything an error exposes: message, issues and context. */
function exposed(error: SettingsError): string {
  return [error.message, JSON.stringify(error.issues), JSON.stringify(error.context)].join("\n");
}

describe("EngineSettingsSchema", () => {
  it.each([
    ["", { kind: "earliest" }],
    ["Earliest", { kind: "earliest" }],
    ["latest", { kind: "latest" }],
    ["2026-11-25T09:15:00+05:30", { kind: "time", at: Date.parse("2026-11-25T03:45:00Z") }],
    ["2026-11-25T03:45:00.000Z", { kind: "time", at: Date.parse("2026-11-25T03:45:00Z") }],
  ])("reads KAFKA_SIGNALS_START=%j", (value, expected) => {
    const settings = load({ KAFKA_BROKERS: "k:9092", KAFKA_SIGNALS_START: value });
    expect(settings.kafka?.signalsStart).toEqual(expected);
  });

  it.each(["yesterday", "2026-11-25T09:15:00", "2026-11-25", "2026-13-45T00:00:00Z"])(
    "refuses KAFKA_SIGNALS_START=%j, naming it",
    (value) => {
      const error = settingsError({ KAFKA_SIGNALS_START: value });
      expect(error.message).toMatch(/KAFKA_SIGNALS_START/);
    },
  );

  it.each(["auto", "json", "pretty", "LINES"])("reads LOG_FORMAT=%j", (value) => {
    expect(load({ LOG_FORMAT: value }).logFormat).toBe(value.toLowerCase());
  });

  it("refuses a LOG_FORMAT that is not auto, json, pretty or lines, naming it", () => {
    const error = settingsError({ LOG_FORMAT: "colour" });
    expect(error.issues.map((issue) => issue.variable)).toEqual(["LOG_FORMAT"]);
  });

  it("refuses a price age of 0 and a session timeout under a second, naming them", () => {
    const error = settingsError({ PRICE_MAX_AGE_MS: "0", KAFKA_SESSION_TIMEOUT_MS: "500" });
    expect(error.message).toMatch(/PRICE_MAX_AGE_MS/);
    expect(error.message).toMatch(/KAFKA_SESSION_TIMEOUT_MS/);
  });

  it("runs embedded on defaults from an empty environment", () => {
    expect(load({})).toEqual({
      kafka: null,
      ticksTopic: "market.ticks",
      priceMaxAgeMs: 120_000,
      groupIdPrefix: "engine",
      databaseUrl: null,
      namespace: "paper",
      mode: "normal",
      shadowTopicPrefix: "shadow.",
      marketHours: {
        mode: "nse",
        extraHolidays: [],
        extraSessions: [],
        calendarFile: null,
        calendarPollMs: 10_000,
      },
      strategyConfigTtlMs: 5000,
      executionTimeoutMs: 15000,
      leaseMs: 15000,
      maxSubmitAttempts: 3,
      orderTtl: { defaultMs: 0, byNamespace: {} },
      signalAge: { maxAgeMs: 30_000, clockSkewMs: 2_000, appliesToSimulated: true },
      controlTopic: "engine.control",
      adminToken: null,
      orderBudgetMaxWaitMs: 30_000,
      orderBudgetMarginMs: 250,
      preTrade: {
        global: {
          maxOrderQuantity: null,
          maxOrderNotional: null,
          priceCollarPct: null,
          maxOrdersPerMinute: null,
          maxOrdersPerDay: null,
          maxDailyNotional: null,
        },
        byNamespace: {},
      },
      traderInitTimeoutMs: 15000,
      httpPort: 8080,
      logLevel: "info",
      logFormat: "auto",
    });
  });

  it("reads the trading controls: control topic, admin token, pre-trade limits per namespace", () => {
    const settings = load({
      ENGINE_CONTROL_TOPIC: "desk.control",
      ENGINE_ADMIN_TOKEN: "0123456789abcdef",
      RISK_MAX_ORDER_QUANTITY: "500",
      RISK_PRICE_COLLAR_PCT: "0",
      RISK_LIMITS_BY_NAMESPACE:
        "zerodha.max_orders_per_day=100, zerodha.max_daily_notional=2500000.5",
    });
    expect(settings).toMatchObject({
      controlTopic: "desk.control",
      adminToken: "0123456789abcdef",
      preTrade: {
        global: { maxOrderQuantity: 500, priceCollarPct: 0, maxOrdersPerDay: null },
        byNamespace: { zerodha: { maxOrdersPerDay: 100, maxDailyNotional: 2_500_000.5 } },
      },
    });
  });

  it.each([
    ["RISK_LIMITS_BY_NAMESPACE", "zerodha.max_lots=1"],
    ["RISK_LIMITS_BY_NAMESPACE", "zerodha=1"],
    ["RISK_MAX_ORDER_QUANTITY", "-1"],
    ["ENGINE_ADMIN_TOKEN", "short"],
    ["ENGINE_ADMIN_TOKEN", "has space in the token 123"],
    ["RISK_MAX_ORDER_QUANTITY", "0x10"],
    ["RISK_MAX_ORDER_QUANTITY", "2.5"],
    ["RISK_MAX_ORDERS_PER_MINUTE", "0.5"],
    ["RISK_MAX_ORDER_NOTIONAL", "1e6"],
    ["RISK_LIMITS_BY_NAMESPACE", "zerodha.max_orders_per_day=2.5"],
  ])("refuses %s=%s", (name, value) => {
    expect(() => load({ [name]: value })).toThrow(name);
  });

  it("reads the order management settings, with per-namespace times in force", () => {
    const settings = load({
      ENGINE_LEASE_MS: "5000",
      MAX_SUBMIT_ATTEMPTS: "1",
      ORDER_TTL_MS: "60000",
      ORDER_TTL_MS_BY_NAMESPACE: "zerodha=30000, paper=0",
      SIGNAL_MAX_AGE_MS: "10000",
      SIGNAL_CLOCK_SKEW_MS: "0",
      SIGNAL_MAX_AGE_APPLIES_TO_PAPER: "false",
    });
    expect(settings).toMatchObject({
      leaseMs: 5000,
      maxSubmitAttempts: 1,
      orderTtl: { defaultMs: 60_000, byNamespace: { zerodha: 30_000, paper: 0 } },
      signalAge: { maxAgeMs: 10_000, clockSkewMs: 0, appliesToSimulated: false },
    });
  });

  it.each([
    ["ORDER_TTL_MS_BY_NAMESPACE", "zerodha:30000"],
    ["ORDER_TTL_MS_BY_NAMESPACE", "Zerodha=1"],
    ["ENGINE_LEASE_MS", "500"],
    ["MAX_SUBMIT_ATTEMPTS", "0"],
  ])("refuses a bad %s, naming it", (name, value) => {
    expect(() => load({ [name]: value })).toThrow(name);
  });

  it("treats empty variables as unset", () => {
    expect(
      load({ KAFKA_BROKERS: "", HTTP_PORT: " ", BROKER_NAMESPACE: "", DATABASE_URL: "" }),
    ).toEqual(load({}));
  });

  it("reads a full configuration", () => {
    const settings = load({
      KAFKA_BROKERS: "redpanda-0:9092, redpanda-1:9092,,",
      KAFKA_CLIENT_ID: "engine-7",
      KAFKA_SSL: "yes",
      KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
      KAFKA_SASL_USERNAME: "engine",
      KAFKA_SASL_PASSWORD: "pw",
      KAFKA_TOPIC_PARTITIONS: "6",
      KAFKA_REPLICATION_FACTOR: "3",
      DATABASE_URL: "postgres://engine@db/engine",
      BROKER_NAMESPACE: "zerodha",
      ENGINE_MODE: "shadow",
      MARKET_HOURS_MODE: "always_open",
      MARKET_EXTRA_HOLIDAYS: "2026-11-26, 2026-12-31",
      MARKET_EXTRA_SESSIONS: "2026-11-28 09:15-15:30, 2026-11-08 18:00-19:15",
      MARKET_CALENDAR_FILE: " /etc/engine/market-calendar.json ",
      MARKET_CALENDAR_POLL_MS: "2000",
      STRATEGY_CONFIG_TTL_MS: "0",
      HTTP_PORT: "9090",
      LOG_LEVEL: "DEBUG",
    });
    expect(settings.kafka).toEqual({
      brokers: ["redpanda-0:9092", "redpanda-1:9092"],
      clientId: "engine-7",
      ssl: true,
      sasl: { mechanism: "scram-sha-512", username: "engine", password: "pw" },
      topicPartitions: 6,
      replicationFactor: 3,
      ticksFromBeginning: false,
      signalsStart: { kind: "earliest" },
      sessionTimeoutMs: 6_000,
      maxMessageBytes: 1_000_000,
      ticksWarmupMs: 120_000,
      ticksWarmupTimeoutMs: 5_000,
    });
    expect(settings).toMatchObject({
      databaseUrl: "postgres://engine@db/engine",
      namespace: "zerodha",
      mode: "shadow",
      marketHours: {
        mode: "always_open",
        extraHolidays: ["2026-11-26", "2026-12-31"],
        extraSessions: [
          { date: "2026-11-28", open: "09:15", close: "15:30", name: "extra session" },
          { date: "2026-11-08", open: "18:00", close: "19:15", name: "extra session" },
        ],
        calendarFile: "/etc/engine/market-calendar.json",
        calendarPollMs: 2000,
      },
      strategyConfigTtlMs: 0,
      httpPort: 9090,
      logLevel: "debug",
    });
  });

  it("reads another tick topic, consumed from its first retained tick (replays, benchmarks)", () => {
    const settings = load({
      KAFKA_BROKERS: "127.0.0.1:9092",
      KAFKA_TICKS_FROM_BEGINNING: "true",
      MARKET_TICKS_TOPIC: "bench.market.ticks",
    });
    expect(settings.ticksTopic).toBe("bench.market.ticks");
    expect(settings.kafka?.ticksFromBeginning).toBe(true);
    expect(settingsError({ MARKET_TICKS_TOPIC: "market ticks" }).issues).toEqual([
      expect.objectContaining({ variable: "MARKET_TICKS_TOPIC" }),
    ]);
  });

  it("names every bad variable at once", () => {
    const error = settingsError({
      KAFKA_SSL: "maybe",
      HTTP_PORT: "eighty",
      KAFKA_TOPIC_PARTITIONS: "0",
      ENGINE_MODE: "turbo",
      BROKER_NAMESPACE: "Zerodha Live",
      MARKET_EXTRA_HOLIDAYS: "2026-11-26,26/12/2026",
      MARKET_EXTRA_SESSIONS: "2026-11-28 15:30-09:15",
      MARKET_CALENDAR_POLL_MS: "0",
      EXECUTION_TIMEOUT_MS: "1.5",
      KAFKA_SASL_MECHANISM: "plain",
    });
    const bad = [
      "KAFKA_SSL",
      "HTTP_PORT",
      "KAFKA_TOPIC_PARTITIONS",
      "ENGINE_MODE",
      "BROKER_NAMESPACE",
      "MARKET_EXTRA_HOLIDAYS",
      "MARKET_EXTRA_SESSIONS",
      "MARKET_CALENDAR_POLL_MS",
      "EXECUTION_TIMEOUT_MS",
      "KAFKA_SASL_USERNAME",
      "KAFKA_SASL_PASSWORD",
    ];
    for (const variable of bad) expect(error.message).toContain(variable);
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([...bad].sort());
    expect(error.context).toEqual({ variables: error.issues.map((issue) => issue.variable) });
    expect(error.code).toBe("INVALID_SETTINGS");
  });

  it("never shows a value in the error, secrets included", () => {
    const secrets = {
      DATABASE_URL: "postgres://engine:db-Pa55word-Q7@db.internal:5432/engine",
      KAFKA_SASL_PASSWORD: "kafka-Pa55word-X9",
    };
    const bad = {
      KAFKA_SASL_MECHANISM: "scram-sha-256",
      // Username missing: the password is set, so the setup is bad around it.
      HTTP_PORT: "port-8080-VALUE",
      KAFKA_SSL: "ssl-maybe-VALUE",
      BROKER_NAMESPACE: "Zerodha-Live-VALUE",
      LOG_LEVEL: "loud-VALUE",
    };
    const error = settingsError({ ...secrets, ...bad });
    expect(error.message).toContain("KAFKA_SASL_USERNAME");
    expect(error.message).not.toContain("KAFKA_SASL_PASSWORD");
    const text = exposed(error);
    for (const value of [...Object.values(secrets), ...Object.values(bad).slice(1)]) {
      expect(text).not.toContain(value);
    }
    expect(text).not.toContain("Pa55word");
    expect(text).not.toContain("VALUE");
  });

  it("never shows a bad value, whatever it is and whichever variable holds it", () => {
    const validated = [
      "KAFKA_SSL",
      "KAFKA_SASL_MECHANISM",
      "KAFKA_TOPIC_PARTITIONS",
      "KAFKA_REPLICATION_FACTOR",
      "BROKER_NAMESPACE",
      "ENGINE_MODE",
      "MARKET_HOURS_MODE",
      "MARKET_EXTRA_HOLIDAYS",
      "MARKET_EXTRA_SESSIONS",
      "MARKET_CALENDAR_POLL_MS",
      "STRATEGY_CONFIG_TTL_MS",
      "EXECUTION_TIMEOUT_MS",
      "TRADER_INIT_TIMEOUT_MS",
      "HTTP_PORT",
      "LOG_LEVEL",
      "LOG_FORMAT",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...validated),
        // "Q!" makes the value invalid for every variable above and unlikely in any message.
        fc.string({ minLength: 1, maxLength: 20 }).map((text) => `Q!${text}!Q`),
        (variable, value) => {
          const error = settingsError({ [variable]: value });
          expect(error.issues.map((issue) => issue.variable)).toEqual([variable]);
          expect(error.message).toContain(variable);
          expect(exposed(error)).not.toContain(value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ["a date only", "2026-11-28", "1"],
    ["a session closing before it opens", "2026-11-28 09:15-15:30,2026-11-29 18:00-17:00", "2"],
    ["seconds in the times", "2026-11-28 09:15:00-15:30:00", "1"],
    ["an impossible date", "2026-02-30 09:15-15:30", "1"],
    ["hour 24", "2026-11-28 09:15-24:00", "1"],
    ["entries separated by semicolons", "2026-11-28 09:15-15:30; 2026-11-29 09:15-15:30", "1"],
  ])("rejects MARKET_EXTRA_SESSIONS with %s, naming the variable and the entry", (_l, value, n) => {
    const error = settingsError({ MARKET_EXTRA_SESSIONS: value });
    expect(error.issues.map((issue) => issue.variable)).toEqual(["MARKET_EXTRA_SESSIONS"]);
    expect(error.message).toContain("YYYY-MM-DD HH:MM-HH:MM");
    expect(error.message).toContain(`bad entry number ${n}`);
    expect(exposed(error)).not.toContain("2026-");
  });

  it.each(["2026-02-30", "2026-13-01", "2026-11-26,2026-11-31"])(
    "rejects MARKET_EXTRA_HOLIDAYS with a day that does not exist (%s)",
    (value) => {
      expect(settingsError({ MARKET_EXTRA_HOLIDAYS: value }).issues).toEqual([
        expect.objectContaining({ variable: "MARKET_EXTRA_HOLIDAYS" }),
      ]);
    },
  );

  it("lists the secret variables", () => {
    expect(ENGINE_SECRET_VARIABLES).toEqual([
      "KAFKA_SASL_PASSWORD",
      "DATABASE_URL",
      "ENGINE_ADMIN_TOKEN",
    ]);
  });

  describe("SASL", () => {
    it.each(["plain", "scram-sha-256", "scram-sha-512"])(
      "with mechanism %s and no credentials, names both username and password",
      (mechanism) => {
        const error = settingsError({ KAFKA_BROKERS: "k:9092", KAFKA_SASL_MECHANISM: mechanism });
        expect(error.issues.map((issue) => issue.variable)).toEqual([
          "KAFKA_SASL_USERNAME",
          "KAFKA_SASL_PASSWORD",
        ]);
      },
    );

    it("names only the missing credential", () => {
      const error = settingsError({ KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "engine" });
      expect(error.issues.map((issue) => issue.variable)).toEqual(["KAFKA_SASL_PASSWORD"]);
    });

    it("treats a blank credential as missing", () => {
      const error = settingsError({
        KAFKA_SASL_MECHANISM: "plain",
        KAFKA_SASL_USERNAME: "engine",
        KAFKA_SASL_PASSWORD: "   ",
      });
      expect(error.issues.map((issue) => issue.variable)).toEqual(["KAFKA_SASL_PASSWORD"]);
    });

    it("does not report credentials for a bad mechanism, only the mechanism", () => {
      const error = settingsError({ KAFKA_SASL_MECHANISM: "kerberos" });
      expect(error.issues.map((issue) => issue.variable)).toEqual(["KAFKA_SASL_MECHANISM"]);
    });

    it("needs no credentials without a mechanism", () => {
      expect(
        load({ KAFKA_BROKERS: "k:9092", KAFKA_SASL_MECHANISM: "none" }).kafka?.sasl,
      ).toBeNull();
    });
  });

  it.each([
    ["true", true],
    ["false", false],
    ["1", true],
    ["0", false],
    ["yes", true],
    ["no", false],
    ["on", true],
    ["off", false],
    ["TRUE", true],
    [" No ", false],
    ["", false],
  ])("reads the boolean KAFKA_SSL=%j as %s", (value, expected) => {
    expect(load({ KAFKA_BROKERS: "k:9092", KAFKA_SSL: value }).kafka?.ssl).toBe(expected);
  });

  it.each(["maybe", "2", "y", "enabled"])("rejects the boolean KAFKA_SSL=%j", (value) => {
    expect(settingsError({ KAFKA_SSL: value }).message).toContain("KAFKA_SSL");
  });

  it.each([
    ["Zerodha", false],
    ["9paper", false],
    ["paper.live", false],
    ["upstox_2", true],
  ])("checks BROKER_NAMESPACE=%j is a topic-safe namespace (valid: %s)", (value, valid) => {
    if (valid) expect(load({ BROKER_NAMESPACE: value }).namespace).toBe(value);
    else expect(settingsError({ BROKER_NAMESPACE: value }).message).toContain("BROKER_NAMESPACE");
  });
});
