import { loadSettings, SettingsError } from "@engine/core";
import { describeTraderConformance, sampleQuote, sampleSignal } from "@engine/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paperPlugin } from "./paper-plugin.js";
import { PaperTrader } from "./paper-trader.js";
import { FakeMarketData } from "./test-support/fake-market-data.js";
import { pgliteSql } from "./test-support/pglite-sql.js";
import { submit } from "./test-support/submit.js";

/**
 * A market that keeps ticking at 2600 (no depth): the kit's SELLs at 2501.5 rest on its first
 * quote (2500.75) and fill on the next tick, so following a placed order is exercised; its
 * resting order is a BUY at 2000, which no tick reaches until the kit cancels it.
 */
const tickingMarket = () =>
  new FakeMarketData({ repeat: { quote: sampleQuote({ lastPrice: 2600 }), everyMs: 20 } });
const restingBuy = (id: string) => ({
  signal: sampleSignal({ id, signalType: "BUY", validatedPrice: 2000 }),
  quote: sampleQuote(),
});

describeTraderConformance({
  namespace: "paper",
  create: () => new PaperTrader({ orderType: "LIMIT", marketData: tickingMarket() }),
  restingOrder: restingBuy,
});

// MARKET, the default: everything fills at once, except a BUY into a book without sellers.
describe("with market orders", () => {
  describeTraderConformance({
    namespace: "paper",
    create: () => new PaperTrader(),
    restingOrder: (id) => ({
      signal: sampleSignal({ id, signalType: "BUY" }),
      quote: sampleQuote({ lastPrice: 2750.5, bestBid: 2750.5, bestAsk: null, hasDepth: true }),
    }),
  });
});

describe("on the engine's database", () => {
  let db: Awaited<ReturnType<typeof pgliteSql>>;
  // PGlite takes a few seconds to start on a busy machine.
  beforeAll(async () => {
    db = await pgliteSql();
  }, 60_000);
  afterAll(() => db.close());
  describeTraderConformance({
    namespace: "paper",
    create: () => new PaperTrader({ orderType: "LIMIT", marketData: tickingMarket(), sql: db.sql }),
    restingOrder: restingBuy,
  });
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

  it("wires the engine's market data and ordersChanged into a LIMIT trader", async () => {
    const settings = loadSettings(paperPlugin.settingsSchema, { PAPER_ORDER_TYPE: "LIMIT" });
    const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
    const marketData = new FakeMarketData();
    let changed = 0;
    const trader = paperPlugin.create({
      namespace: "paper",
      settings,
      clock: { now: () => 0 },
      logger,
      marketData,
      ordersChanged: () => {
        changed += 1;
      },
    });
    await trader.initialize();
    const signal = sampleSignal({ validatedPrice: 2400 });
    expect((await submit(trader, signal, sampleQuote())).kind).toBe("placed");
    marketData.publish(sampleQuote({ lastPrice: 2400 }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(changed).toBe(1);
    await trader.shutdown();
  });

  it("reads its settings from the environment with defaults", () => {
    expect(loadSettings(paperPlugin.settingsSchema, {})).toMatchObject({
      enabled: true,
      orderType: "MARKET",
      slippageBps: 0,
      fees: { model: "flat_percent", percent: 0.1 },
    });
    expect(
      loadSettings(paperPlugin.settingsSchema, {
        PAPER_TRADING_ENABLED: "false",
        PAPER_FEE_MODEL: "zerodha_equity",
        PAPER_SLIPPAGE_BPS: "2.5",
        PAPER_ORDER_TYPE: "limit",
      }),
    ).toMatchObject({
      enabled: false,
      orderType: "LIMIT",
      slippageBps: 2.5,
      fees: { model: "zerodha_equity" },
    });
  });

  it("names each bad variable", () => {
    const read = () =>
      loadSettings(paperPlugin.settingsSchema, {
        PAPER_ORDER_TYPE: "stop",
        PAPER_SLIPPAGE_BPS: "-1",
        PAPER_FEE_MODEL: "x",
      });
    expect(read).toThrow(SettingsError);
    expect(read).toThrow(/PAPER_ORDER_TYPE[\s\S]*PAPER_SLIPPAGE_BPS[\s\S]*PAPER_FEE_MODEL/);
  });
});
