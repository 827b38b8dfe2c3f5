import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSettings, type SignalToExecute, type SqlPort } from "@engine/core";
import { type SampleSignalOptions, sampleSignal } from "@engine/core/testing";
import { KiteEmulator, type KiteEmulatorOptions } from "@engine/kite-emulator";
import { RecordingLogger } from "../testing/recording-logger.js";
import type { ZerodhaTuning } from "../zerodha-components.js";
import { type ZerodhaSettings, ZerodhaSettingsSchema } from "../zerodha-settings.js";
import { ZerodhaTrader } from "../zerodha-trader.js";

export const API_KEY = "emu_api_key";
export const ACCESS_TOKEN = "emu_access_token_0123456789";
export const API_SECRET = "emu_api_secret_abcdefghij";

/** Test timings: small, so the suite stays fast. */
export const FAST_ENV: Record<string, string> = {
  ZERODHA_RECONCILE_DELAY_MS: "20",
  ZERODHA_POLL_INTERVAL_MS: "20",
  KITE_TIMEOUT_MS: "2000",
  ZERODHA_EXECUTION_BUDGET_MS: "8000",
};

/** Settings as the plugin would read them, pointed at the emulator. */
export function settingsFor(
  emulator: KiteEmulator,
  env: Record<string, string> = {},
): ZerodhaSettings {
  return loadSettings(ZerodhaSettingsSchema, {
    ZERODHA_ENABLED: "true",
    KITE_API_KEY: API_KEY,
    KITE_ACCESS_TOKEN: ACCESS_TOKEN,
    KITE_API_SECRET: API_SECRET,
    KITE_API_ROOT: emulator.url,
    ...FAST_ENV,
    ...env,
  });
}

/** An emulator with the test credentials, started. */
export async function startEmulator(options: KiteEmulatorOptions = {}): Promise<KiteEmulator> {
  const emulator = new KiteEmulator({
    apiKey: API_KEY,
    accessToken: ACCESS_TOKEN,
    fillDelayMs: 0,
    ...options,
  });
  await emulator.start();
  return emulator;
}

export interface TraderHarness {
  trader: ZerodhaTrader;
  logger: RecordingLogger;
}

/** A trader against the emulator, with a recording logger. */
export function traderFor(
  emulator: KiteEmulator,
  env: Record<string, string> = {},
  extra: { sql?: SqlPort; tuning?: ZerodhaTuning } = {},
): TraderHarness {
  const logger = new RecordingLogger();
  const trader = new ZerodhaTrader({
    settings: settingsFor(emulator, env),
    logger,
    tuning: { tokenWatchMs: 20, ...extra.tuning },
    ...(extra.sql ? { sql: extra.sql } : {}),
  });
  return { trader, logger };
}

/** A signal on today's date (the sample's fixed date would be an earlier trading day). */
export function todaysSignal(options: SampleSignalOptions = {}): SignalToExecute {
  const signal = sampleSignal(options);
  const now = new Date().toISOString();
  signal.data.timestamp = now;
  signal.data.original_signal.timestamp = now;
  return signal;
}

/** A temporary token file, and a way to rotate it. */
export async function tokenFile(initial: string): Promise<{
  path: string;
  write(token: string): Promise<void>;
  remove(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), "zerodha-token-"));
  const path = join(dir, "access_token");
  await writeFile(path, `${initial}\n`);
  return {
    path,
    write: (token) => writeFile(path, `${token}\n`),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Polls until `check` holds, or fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A repeatable [0, 1) source, for the emulator's probabilistic faults. */
export { seededRandom } from "@engine/core/testing";
