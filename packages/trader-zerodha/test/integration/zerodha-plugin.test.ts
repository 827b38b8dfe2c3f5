import { assertLiveCapable, loadSettings, TraderRegistry } from "@engine/core";
import {
  describeTraderConformance,
  FakeClock,
  InMemoryStrategySource,
  RecordingLogger,
} from "@engine/core/testing";
import type { KiteEmulator } from "@engine/kite-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postbackChecksum } from "../../src/postbacks/postback-checksum.js";
import {
  ACCESS_TOKEN,
  API_KEY,
  API_SECRET,
  settingsFor,
  startEmulator,
  todaysSignal,
} from "../../src/test-support/harness.js";
import { zerodhaPlugin } from "../../src/zerodha-plugin.js";
import { ZerodhaTrader } from "../../src/zerodha-trader.js";

let emulator: KiteEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.stop();
});

/** RELIANCE trades at 1425.3 in the emulator: these limits fill at once, the resting one never. */
const MARKETABLE = { BUY: 1450, SELL: 1400 } as const;
const AWAY_FROM_MARKET = 1000;

describeTraderConformance({
  namespace: "zerodha",
  live: true,
  // LIMIT orders, so that one priced away from the market rests OPEN until cancelled.
  create: () =>
    new ZerodhaTrader({ settings: settingsFor(emulator, { ZERODHA_ORDER_TYPE: "LIMIT" }) }),
  signal: ({ signalType, id }) =>
    todaysSignal({ id, signalType, validatedPrice: MARKETABLE[signalType] }),
  restingOrder: (id) => ({
    signal: todaysSignal({ id, signalType: "BUY", validatedPrice: AWAY_FROM_MARKET }),
    quote: null,
  }),
});

describe("zerodhaPlugin", () => {
  it("is the live `zerodha` namespace, taken by strategies with zerodha_trading_enabled", async () => {
    expect(zerodhaPlugin.namespace).toBe("zerodha");
    expect(zerodhaPlugin.live).toBe(true);
    expect(zerodhaPlugin.secretVariables).toEqual(["KITE_ACCESS_TOKEN", "KITE_API_SECRET"]);
    const strategies = new InMemoryStrategySource([
      { id: "on", zerodha_trading_enabled: true },
      { id: "off" },
    ]);
    const on = await strategies.get("on");
    const off = await strategies.get("off");
    expect(on && zerodhaPlugin.enabledFor(on)).toBe(true);
    expect(off && zerodhaPlugin.enabledFor(off)).toBe(false);
  });

  it("builds a trader from the environment that the registry initialises", async () => {
    const settings = loadSettings(zerodhaPlugin.settingsSchema, {
      ZERODHA_ENABLED: "true",
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      KITE_API_ROOT: emulator.url,
    });
    const logger = new RecordingLogger();
    const trader = zerodhaPlugin.create({
      namespace: "zerodha",
      settings,
      logger,
      clock: new FakeClock("2026-11-25T05:00:00Z"),
    });
    const registry = new TraderRegistry({ logger });
    registry.register(trader);
    expect(await registry.initialize()).toEqual({ zerodha: { status: "ready" } });
    expect(registry.get("zerodha")).toBe(trader);
    await registry.shutdown();
    expect(trader.health()).toEqual({ status: "unavailable", reason: "shut down" });
  });

  it("declares what it can do, with the visibility window and poll interval from the settings", () => {
    const create = (env: Record<string, string>) =>
      zerodhaPlugin.create({
        namespace: "zerodha",
        settings: loadSettings(zerodhaPlugin.settingsSchema, env),
        logger: new RecordingLogger(),
        clock: new FakeClock(0),
      });
    const defaults = create({});
    expect(defaults.capabilities).toEqual({
      followsOrders: true,
      queryByClientOrderId: true,
      batchStatusReports: true,
      cancel: true,
      orderVisibilityMs: 20_000,
      statusPollIntervalMs: 1_000,
      // The queue for Kite's order budget (60 s) plus the client's timeout (7 s) and a second.
      maxSubmitMs: 68_000,
      // Kite's limits per account, shared by every engine instance on it.
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 5_000 },
    });
    expect(() => assertLiveCapable(defaults)).not.toThrow();
    expect(
      create({
        ZERODHA_ORDER_VISIBILITY_MS: "15000",
        ZERODHA_STATUS_POLL_MS: "500",
        ZERODHA_MAX_QUEUE_MS: "1000",
        KITE_TIMEOUT_MS: "2000",
        ZERODHA_ORDERS_PER_SECOND: "5",
      }).capabilities,
    ).toMatchObject({
      orderVisibilityMs: 15_000,
      statusPollIntervalMs: 500,
      maxSubmitMs: 4_000,
      orderBudget: { perSecond: 5 },
    });
  });

  it("passes verified postbacks on to the engine's ordersChanged", async () => {
    const settings = loadSettings(zerodhaPlugin.settingsSchema, {
      ZERODHA_ENABLED: "true",
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      KITE_API_SECRET: API_SECRET,
      KITE_API_ROOT: emulator.url,
      KITE_POSTBACK_PORT: "0",
      KITE_POSTBACK_HOST: "127.0.0.1",
    });
    let changed = 0;
    const trader = zerodhaPlugin.create({
      namespace: "zerodha",
      settings,
      logger: new RecordingLogger(),
      clock: new FakeClock(0),
      ordersChanged: () => {
        changed += 1;
      },
    });
    expect(await trader.initialize()).toBe(true);
    const url = (trader as ZerodhaTrader).postbackUrl ?? "";
    const ts = "2026-11-25 09:15:02";
    const response = await fetch(url, {
      method: "POST",
      body: JSON.stringify({
        order_id: "1",
        order_timestamp: ts,
        checksum: postbackChecksum("1", ts, API_SECRET),
      }),
    });
    expect(response.status).toBe(200);
    expect(changed).toBe(1);
    await trader.shutdown();
  });

  it("reports itself unavailable to the registry when Kite rejects the token at start", async () => {
    const settings = loadSettings(zerodhaPlugin.settingsSchema, {
      ZERODHA_ENABLED: "true",
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: "wrong_token_value_123",
      KITE_API_ROOT: emulator.url,
    });
    const logger = new RecordingLogger();
    const registry = new TraderRegistry({ logger });
    registry.register(
      zerodhaPlugin.create({ namespace: "zerodha", settings, logger, clock: new FakeClock(0) }),
    );
    const health = await registry.initialize();
    expect(health.zerodha?.status).toBe("unavailable");
    expect(logger.text()).not.toContain("wrong_token_value_123");
    await registry.shutdown();
  });
});
