import { loadSettings, SettingsError } from "@engine/core";
import { describeTraderConformance } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import { paperPlugin } from "./paper-plugin.js";
import { PaperTrader } from "./paper-trader.js";

describeTraderConformance({
  namespace: "paper",
  create: () => new PaperTrader({ namespace: "paper" }),
});

describe("paperPlugin", () => {
  it("builds a trader for the namespace it is given (shadow mode simulates live ones)", () => {
    const settings = loadSettings(paperPlugin.settingsSchema, {});
    const clock = { now: () => 0 };
    const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
    expect(
      paperPlugin.create({ namespace: "zerodha", settings, clock, logger }).executionMode,
    ).toBe("zerodha");
  });

  it("reads its settings from the environment with defaults", () => {
    expect(loadSettings(paperPlugin.settingsSchema, {})).toMatchObject({
      enabled: true,
      slippageBps: 0,
      fees: { model: "flat_percent", percent: 0.1 },
    });
    expect(
      loadSettings(paperPlugin.settingsSchema, {
        PAPER_TRADING_ENABLED: "false",
        PAPER_FEE_MODEL: "zerodha_equity",
        PAPER_SLIPPAGE_BPS: "2.5",
      }),
    ).toMatchObject({ enabled: false, slippageBps: 2.5, fees: { model: "zerodha_equity" } });
  });

  it("names each bad variable", () => {
    const read = () =>
      loadSettings(paperPlugin.settingsSchema, { PAPER_SLIPPAGE_BPS: "-1", PAPER_FEE_MODEL: "x" });
    expect(read).toThrow(SettingsError);
    expect(read).toThrow(/PAPER_SLIPPAGE_BPS[\s\S]*PAPER_FEE_MODEL/);
  });
});
