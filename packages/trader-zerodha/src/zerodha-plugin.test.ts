import { loadSettings, TraderRegistry } from "@engine/core";
import { describeTraderConformance, FakeClock, InMemoryStrategySource } from "@engine/core/testing";
import type { KiteEmulator } from "@engine/kite-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCESS_TOKEN, API_KEY, settingsFor, startEmulator } from "./test-support/harness.js";
import { RecordingLogger } from "./testing/recording-logger.js";
import { zerodhaPlugin } from "./zerodha-plugin.js";
import { ZerodhaTrader } from "./zerodha-trader.js";

let emulator: KiteEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.stop();
});

describeTraderConformance({
  namespace: "zerodha",
  create: () => new ZerodhaTrader({ settings: settingsFor(emulator) }),
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
    expect(trader.health?.()).toEqual({ status: "unavailable", reason: "shut down" });
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
