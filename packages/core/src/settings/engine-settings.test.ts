import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENGINE_SECRET_VARIABLES, EngineSettingsSchema } from "./engine-settings.js";
import { type Env, loadSettings, SettingsError } from "./env.js";

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
  it("runs embedded on defaults from an empty environment", () => {
    expect(load({})).toEqual({
      kafka: null,
      ticksTopic: "market.ticks",
      groupIdPrefix: "engine",
      databaseUrl: null,
      namespace: "paper",
      mode: "normal",
      shadowTopicPrefix: "shadow.",
      marketHours: { mode: "nse", extraHolidays: [] },
      strategyConfigTtlMs: 5000,
      executionTimeoutMs: 15000,
      traderInitTimeoutMs: 15000,
      httpPort: 8080,
      logLevel: "info",
    });
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
    });
    expect(settings).toMatchObject({
      databaseUrl: "postgres://engine@db/engine",
      namespace: "zerodha",
      mode: "shadow",
      marketHours: { mode: "always_open", extraHolidays: ["2026-11-26", "2026-12-31"] },
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
      "STRATEGY_CONFIG_TTL_MS",
      "EXECUTION_TIMEOUT_MS",
      "TRADER_INIT_TIMEOUT_MS",
      "HTTP_PORT",
      "LOG_LEVEL",
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

  it("lists the secret variables", () => {
    expect(ENGINE_SECRET_VARIABLES).toEqual(["KAFKA_SASL_PASSWORD", "DATABASE_URL"]);
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
