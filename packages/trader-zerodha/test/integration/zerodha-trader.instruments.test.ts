import type { KiteEmulator } from "@engine/kite-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { createKiteApi, type KiteApi } from "../../src/kite/kite-api.js";
import { ACCESS_TOKEN, API_KEY, startEmulator, traderFor } from "../../src/test-support/harness.js";
import type { ZerodhaTrader } from "../../src/zerodha-trader.js";

let emulator: KiteEmulator | undefined;
const traders: ZerodhaTrader[] = [];

afterEach(async () => {
  await Promise.all(traders.splice(0).map((trader) => trader.shutdown()));
  await emulator?.stop();
});

const dumpDownloads = (emu: KiteEmulator) => emu.stats().requestsByPath["GET /instruments"] ?? 0;

describe("ZerodhaTrader: instruments", () => {
  it("keeps instruments in memory only without a database", async () => {
    emulator = await startEmulator();
    const { trader } = traderFor(emulator);
    traders.push(trader);
    expect(await trader.initialize()).toBe(true);
    expect(dumpDownloads(emulator)).toBe(1);
    expect(trader.health()).toEqual({ status: "ready" });
  });

  it("does not start when no instrument dump can be had", async () => {
    emulator = await startEmulator();
    const real = createKiteApi({
      apiKey: API_KEY,
      accessToken: ACCESS_TOKEN,
      root: emulator.url,
      timeoutMs: 2_000,
      instrumentsTimeoutMs: 2_000,
    });
    const api: KiteApi = {
      ...real,
      getInstruments: () =>
        Promise.reject({ error_type: "NetworkException", message: "Gateway Timeout" }),
    };
    const { trader } = traderFor(emulator, {}, { tuning: { api } });
    traders.push(trader);
    expect(await trader.initialize()).toBe(false);
    expect(trader.health()).toEqual({ status: "unavailable", reason: "instruments unavailable" });
  });
});
