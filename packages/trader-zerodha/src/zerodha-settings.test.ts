import { loadSettings, SettingsError } from "@engine/core";
import { describe, expect, it } from "vitest";
import { ZerodhaSettingsSchema } from "./zerodha-settings.js";

const read = (env: Record<string, string>) => loadSettings(ZerodhaSettingsSchema, env);

describe("ZerodhaSettingsSchema", () => {
  it("is disabled by default and needs nothing then", () => {
    expect(read({})).toMatchObject({
      enabled: false,
      apiKey: null,
      apiRoot: "https://api.kite.trade",
      timeoutMs: 7_000,
      product: "MIS",
      orderType: "MARKET",
      marketProtection: -1,
      defaultExchange: "NSE",
      limits: {
        ordersPerSecond: 10,
        ordersPerMinute: 400,
        ordersPerDay: 5_000,
        requestsPerSecond: 10,
      },
      maxQueueMs: 60_000,
      orderVisibilityMs: 20_000,
      statusPollMs: 1_000,
      ignoredVariables: [],
      postbackPort: null,
    });
  });

  it("reads every variable", () => {
    expect(
      read({
        ZERODHA_ENABLED: "true",
        KITE_API_KEY: "key",
        KITE_ACCESS_TOKEN_FILE: "/run/secrets/kite",
        KITE_API_SECRET: "secret",
        KITE_API_ROOT: "http://127.0.0.1:8765",
        KITE_TIMEOUT_MS: "3000",
        ZERODHA_PRODUCT: "nrml",
        ZERODHA_ORDER_TYPE: "LIMIT",
        ZERODHA_MARKET_PROTECTION: "1.5",
        ZERODHA_EXCHANGE: "nfo",
        ZERODHA_ORDERS_PER_SECOND: "5",
        ZERODHA_MAX_QUEUE_MS: "30000",
        ZERODHA_ORDER_VISIBILITY_MS: "15000",
        ZERODHA_STATUS_POLL_MS: "500",
        KITE_POSTBACK_PORT: "9000",
      }),
    ).toMatchObject({
      enabled: true,
      apiKey: "key",
      accessToken: null,
      accessTokenFile: "/run/secrets/kite",
      apiRoot: "http://127.0.0.1:8765",
      timeoutMs: 3_000,
      product: "NRML",
      orderType: "LIMIT",
      marketProtection: 1.5,
      defaultExchange: "NFO",
      limits: { ordersPerSecond: 5 },
      maxQueueMs: 30_000,
      orderVisibilityMs: 15_000,
      statusPollMs: 500,
      postbackPort: 9_000,
    });
  });

  it("requires credentials when enabled", () => {
    const attempt = () => read({ ZERODHA_ENABLED: "true" });
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(/KITE_API_KEY[\s\S]*KITE_ACCESS_TOKEN/);
  });

  it("requires the API secret to verify postbacks", () => {
    expect(() => read({ KITE_POSTBACK_PORT: "9000" })).toThrow(/KITE_API_SECRET/);
  });

  it("names each bad variable, never its value", () => {
    try {
      read({
        ZERODHA_MARKET_PROTECTION: "101",
        ZERODHA_PRODUCT: "MTF",
        KITE_API_ROOT: "ftp://secret-host",
        ZERODHA_ORDER_VISIBILITY_MS: "10",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      const message = (error as SettingsError).message;
      for (const variable of [
        "ZERODHA_MARKET_PROTECTION",
        "ZERODHA_PRODUCT",
        "KITE_API_ROOT",
        "ZERODHA_ORDER_VISIBILITY_MS",
      ]) {
        expect(message).toContain(variable);
      }
      expect(message).not.toContain("secret-host");
    }
  });

  it.each(["-1", "0.5", "1.5", "100"])("takes market protection %s", (value) => {
    expect(read({ ZERODHA_MARKET_PROTECTION: value }).marketProtection).toBe(Number(value));
  });

  it("refuses market protection 0, saying that Kite refuses it", () => {
    expect(() => read({ ZERODHA_MARKET_PROTECTION: "0" })).toThrow(
      /ZERODHA_MARKET_PROTECTION.*0 is refused by Kite since April 2026/,
    );
  });

  it.each(["-2", "-0.5", "100.5", "abc", "1e3"])("refuses market protection %s", (value) => {
    expect(() => read({ ZERODHA_MARKET_PROTECTION: value })).toThrow(
      /ZERODHA_MARKET_PROTECTION.*expected -1 \(automatic\) or a percentage above 0 up to 100/,
    );
  });

  it("accepts the variables of earlier versions that no longer do anything, and lists them", () => {
    expect(
      read({ ZERODHA_EXECUTION_BUDGET_MS: "12000", ZERODHA_POLL_INTERVAL_MS: "500" })
        .ignoredVariables,
    ).toEqual(["ZERODHA_EXECUTION_BUDGET_MS", "ZERODHA_POLL_INTERVAL_MS"]);
  });
});
