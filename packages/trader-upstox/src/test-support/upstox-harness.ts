import { mkdtemp, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InstrumentInfo, Logger } from "@engine/core";
import { InMemoryInstrumentRegistry } from "@engine/core/testing";
import { UpstoxEmulator, type UpstoxEmulatorOptions } from "@engine/upstox-emulator";
import { UpstoxSettingsSchema } from "../upstox-settings.js";
import { UpstoxTrader } from "../upstox-trader.js";

export const RELIANCE_KEY = "NSE_EQ|INE002A01018";
/** A platform instrument Upstox's master does not have. */
export const UNMAPPED_TOKEN = 999_936;

function nse(instrumentToken: number, tradingSymbol: string): InstrumentInfo {
  return {
    instrumentToken,
    exchange: "NSE",
    exchangeToken: instrumentToken >> 8,
    tradingSymbol,
    lotSize: 1,
    tickSize: 0.05,
  };
}

/** The Kite side of the emulators' instruments, as the engine's registry would answer. */
export const PLATFORM_INSTRUMENTS: readonly InstrumentInfo[] = [
  nse(738561, "RELIANCE"),
  nse(408065, "INFY"),
  nse(2953217, "TCS"),
  nse(341249, "HDFCBANK"),
  nse(779521, "SBIN"),
  nse(UNMAPPED_TOKEN, "NOSUCHCO"),
];

/** An emulator, and traders pointed at it with the given variables. */
export async function upstoxHarness(options: UpstoxEmulatorOptions = {}) {
  const emulator = new UpstoxEmulator(options);
  const url = await emulator.start();
  const dir = await mkdtemp(join(tmpdir(), "upstox-token-"));
  const tokenFile = join(dir, "token");
  const env = (overrides: Record<string, string> = {}) => ({
    UPSTOX_ENABLED: "true",
    UPSTOX_ACCESS_TOKEN: emulator.accessToken ?? "none",
    UPSTOX_API_ROOT: url,
    UPSTOX_ORDER_API_ROOT: url,
    UPSTOX_INSTRUMENTS_URL: emulator.instrumentMasterUrl,
    UPSTOX_TIMEOUT_MS: "2000",
    UPSTOX_ORDER_VISIBILITY_MS: "0",
    UPSTOX_STATUS_POLL_MS: "100",
    UPSTOX_TOKEN_POLL_MS: "100",
    ...overrides,
  });
  return {
    emulator,
    url,
    tokenFile,
    env,
    /** Writes a token file atomically, as a rotation job would. */
    async writeToken(token: string) {
      await writeFile(`${tokenFile}.tmp`, token);
      await rename(`${tokenFile}.tmp`, tokenFile);
    },
    trader(overrides: Record<string, string> = {}, logger?: Logger) {
      return new UpstoxTrader({
        settings: UpstoxSettingsSchema.parse(env(overrides)),
        instruments: new InMemoryInstrumentRegistry(PLATFORM_INSTRUMENTS),
        ...(logger ? { logger } : {}),
      });
    },
  };
}
