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
      reconcileDelayMs: 1_000,
      pollIntervalMs: 500,
      executionBudgetMs: 12_000,
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
        ZERODHA_MARKET_PROTECTION: "3",
        ZERODHA_EXCHANGE: "nfo",
        ZERODHA_ORDERS_PER_SECOND: "5",
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
      marketProtection: 3,
      defaultExchange: "NFO",
      limits: { ordersPerSecond: 5 },
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
        KITE_TIMEOUT_MS: "9000",
        ZERODHA_EXECUTION_BUDGET_MS: "8000",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      const message = (error as SettingsError).message;
      for (const variable of [
        "ZERODHA_MARKET_PROTECTION",
        "ZERODHA_PRODUCT",
        "KITE_API_ROOT",
        "ZERODHA_EXECUTION_BUDGET_MS",
      ]) {
        expect(message).toContain(variable);
      }
      expect(message).not.toContain("secret-host");
    }
  });
});
