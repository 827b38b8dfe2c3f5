import { PGlite } from "@electric-sql/pglite";
import { loadSettings, SettingsError } from "@engine/core";
import { describe, expect, it } from "vitest";
import { InstrumentMaster } from "./instruments/instrument-master.js";
import { InstrumentTable } from "./instruments/instrument-table.js";
import { UpstoxInstrumentIndex } from "./instruments/upstox-instrument.js";
import { RateGate } from "./limits/rate-gate.js";
import { brokerStatus, istToIso, reportOf, UpstoxOrderRowSchema } from "./orders/order-report.js";
import { roundToTick } from "./orders/order-spec.js";
import { classifyAnswer } from "./sdk/upstox-answer.js";
import { upstoxHarness } from "./test-support/upstox-harness.js";
import { UpstoxSettingsSchema } from "./upstox-settings.js";

const errorBody = (code: string) => ({
  status: "error",
  errors: [{ errorCode: code, message: "m", error_code: code }],
});

describe("classifyAnswer", () => {
  it.each([
    ["a success envelope", null, { status: 200, body: { status: "success", data: {} } }, "ok"],
    ["a 200 that is not a success", null, { status: 200, body: {} }, "ambiguous"],
    [
      "a 200 with an unreadable body",
      { statusCode: 200, message: "Unexpected token" },
      undefined,
      "ambiguous",
    ],
    ["a timeout", { code: "ECONNABORTED", message: "Timeout" }, undefined, "ambiguous"],
    ["a reset", { code: "ECONNRESET" }, undefined, "ambiguous"],
    [
      "a 500",
      { status: 500, response: { body: errorBody("UDAPI100500") } },
      undefined,
      "ambiguous",
    ],
    ["a 401", { status: 401, response: { body: errorBody("UDAPI100050") } }, undefined, "token"],
    [
      "a 429",
      { status: 429, response: { body: errorBody("UDAPI10005") } },
      undefined,
      "rate_limited",
    ],
    ["a 400", { status: 400, response: { body: errorBody("UDAPI1040") } }, undefined, "refused"],
  ] as const)("classifies %s", (_name, error, response, kind) => {
    expect(classifyAnswer(error, response).kind).toBe(kind);
  });

  it("reads the error code of either spelling", () => {
    const snake = { status: "error", errors: [{ error_code: "UDAPI100040", message: "final" }] };
    expect(classifyAnswer({ status: 400, response: { body: snake } })).toMatchObject({
      kind: "refused",
      code: "UDAPI100040",
    });
  });
});

describe("Upstox order rows", () => {
  const row = (fields: Record<string, unknown>) =>
    UpstoxOrderRowSchema.parse({
      order_id: "1",
      status: "open",
      tag: "t",
      quantity: 10,
      ...fields,
    });

  it.each([
    ["complete", 10, "filled"],
    ["rejected", 0, "rejected"],
    ["cancelled", 4, "cancelled"],
    ["cancelled after market order", 0, "cancelled"],
    ["open", 0, "accepted"],
    ["open", 4, "partially_filled"],
    ["trigger pending", 0, "accepted"],
    ["some new status", 0, "accepted"],
  ] as const)("maps %s with %i filled to %s", (status, filled, expected) => {
    expect(brokerStatus(row({ status, filled_quantity: filled }))).toBe(expected);
  });

  it("parses IST timestamps to ISO with +05:30, and nothing else", () => {
    expect(istToIso("2026-11-23 09:15:02")).toBe("2026-11-23T09:15:02+05:30");
    expect(istToIso("2026-11-23T09:15:02")).toBeNull();
    expect(istToIso(null)).toBeNull();
  });

  it("reports no average price before a fill, and skips rows without a tag", () => {
    expect(reportOf(row({ average_price: 0 }))?.averagePrice).toBeNull();
    expect(reportOf(row({ tag: null }))).toBeNull();
  });
});

describe("settings", () => {
  it("defaults to Upstox's hosts, intraday MARKET orders with automatic protection", () => {
    const settings = loadSettings(UpstoxSettingsSchema, {});
    expect(settings).toMatchObject({
      enabled: false,
      apiRoot: "https://api.upstox.com",
      orderApiRoot: "https://api-hft.upstox.com",
      product: "I",
      orderType: "MARKET",
      marketProtection: -1,
      algoName: null,
      limits: {
        ordersPerSecond: 10,
        ordersPerMinute: 500,
        ordersPerHalfHour: 2_000,
        ordersPerDay: 25_000,
        readsPerSecond: 50,
      },
    });
  });

  it("refuses market protection 0, a bad product and a missing token, never echoing values", () => {
    const attempt = () =>
      loadSettings(UpstoxSettingsSchema, {
        UPSTOX_ENABLED: "true",
        UPSTOX_MARKET_PROTECTION: "0",
        UPSTOX_PRODUCT: "secret-value",
      });
    expect(attempt).toThrow(SettingsError);
    const message = (() => {
      try {
        attempt();
        return "";
      } catch (error) {
        return String(error instanceof Error ? error.message : error);
      }
    })();
    expect(message).toMatch(/UPSTOX_MARKET_PROTECTION/);
    expect(message).toMatch(/UPSTOX_PRODUCT/);
    expect(message).toMatch(/UPSTOX_ACCESS_TOKEN/);
    expect(message).not.toContain("secret-value");
  });
});

describe("instruments", () => {
  it("maps by the exchange's token, falls back to the equity symbol, never for F&O", () => {
    const index = new UpstoxInstrumentIndex();
    index.replace([
      {
        instrumentKey: "NSE_EQ|INE1",
        segment: "NSE_EQ",
        exchangeToken: "100",
        tradingSymbol: "AAA",
        lotSize: 1,
      },
      {
        instrumentKey: "NSE_FO|555",
        segment: "NSE_FO",
        exchangeToken: "555",
        tradingSymbol: "NIFTY FUT",
        lotSize: 75,
      },
    ]);
    expect(
      index.resolve({ exchange: "NSE", exchangeToken: 100, tradingSymbol: "X" })?.instrumentKey,
    ).toBe("NSE_EQ|INE1");
    expect(
      index.resolve({ exchange: "NSE", exchangeToken: 9, tradingSymbol: "AAA" })?.instrumentKey,
    ).toBe("NSE_EQ|INE1");
    expect(
      index.resolve({ exchange: "NFO", exchangeToken: 555, tradingSymbol: "Y" })?.lotSize,
    ).toBe(75);
    expect(
      index.resolve({ exchange: "NFO", exchangeToken: 9, tradingSymbol: "NIFTY FUT" }),
    ).toBeUndefined();
    expect(
      index.resolve({ exchange: "MCX", exchangeToken: 100, tradingSymbol: "AAA" }),
    ).toBeUndefined();
  });

  it("keeps the master in upstox_instruments and uses it when the download fails", async () => {
    const db = new PGlite();
    const sql = {
      query: <T>(text: string, params?: readonly unknown[]) =>
        db.query<T>(text, params as unknown[]),
    };
    const harness = await upstoxHarness();
    try {
      const options = {
        timeoutMs: 1_000,
        table: new InstrumentTable(sql),
        logger: silent(),
        now: () => new Date(),
      };
      const online = new InstrumentMaster({
        ...options,
        url: harness.emulator.instrumentMasterUrl,
      });
      expect(await online.load()).toBe(true);
      const stored = await db.query<{ n: number }>(
        "select count(*)::int as n from upstox_instruments",
      );
      expect(stored.rows[0]?.n).toBe(5);
      const offline = new InstrumentMaster({ ...options, url: `${harness.url}/missing.json.gz` });
      expect(await offline.load()).toBe(true);
      expect(
        offline.index.resolve({ exchange: "NSE", exchangeToken: 2885, tradingSymbol: "?" })
          ?.instrumentKey,
      ).toBe("NSE_EQ|INE002A01018");
    } finally {
      await harness.emulator.stop();
      await db.close();
    }
  }, 60_000);
});

describe("RateGate and prices", () => {
  it("lets no more than the limit into any window, counting requests until they end", async () => {
    const gate = new RateGate([{ limit: 2, windowMs: 200 }]);
    const first = await gate.acquire(1_000);
    const second = await gate.acquire(1_000);
    const started = performance.now();
    const third = gate.acquire(1_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    first?.release();
    second?.release();
    expect(await third).not.toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(await gate.acquire(0)).toBeNull();
  });

  it("rounds to the tick without binary noise", () => {
    expect(roundToTick(1400.03, 0.05)).toBe(1400.05);
    expect(roundToTick(2501.37, 0.05)).toBe(2501.35);
    expect(roundToTick(99.999, 0.01)).toBe(100);
  });
});

function silent() {
  const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  return logger;
}
