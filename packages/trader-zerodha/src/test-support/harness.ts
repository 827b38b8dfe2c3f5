import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  clientOrderId,
  FINAL_BROKER_STATUSES,
  loadSettings,
  type OrderQuery,
  type OrderRef,
  type SignalToExecute,
  type SqlPort,
  type SubmitContext,
  type SubmitResult,
} from "@engine/core";
import { RecordingLogger, type SampleSignalOptions, sampleSignal } from "@engine/core/testing";
import { KiteEmulator, type KiteEmulatorOptions } from "@engine/kite-emulator";
import { afterEach, expect } from "vitest";
import { createKiteApi, type KiteApi } from "../kite/kite-api.js";
import type { ZerodhaTuning } from "../zerodha-components.js";
import { type ZerodhaSettings, ZerodhaSettingsSchema } from "../zerodha-settings.js";
import { ZerodhaTrader } from "../zerodha-trader.js";

export const API_KEY = "emu_api_key";
export const ACCESS_TOKEN = "emu_access_token_0123456789";
export const API_SECRET = "emu_api_secret_abcdefghij";

/** Test timings: small, so the suite stays fast. */
export const FAST_ENV: Record<string, string> = {
  KITE_TIMEOUT_MS: "2000",
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
  extra: { sql?: SqlPort; tuning?: ZerodhaTuning; ordersChanged?: () => void } = {},
): TraderHarness {
  const logger = new RecordingLogger();
  const trader = new ZerodhaTrader({
    settings: settingsFor(emulator, env),
    logger,
    tuning: { tokenWatchMs: 20, ...extra.tuning },
    ...(extra.sql ? { sql: extra.sql } : {}),
    ...(extra.ordersChanged ? { ordersChanged: extra.ordersChanged } : {}),
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

/** The engine's submission context for a signal on `zerodha`: core's client order id. */
export function contextFor(signal: SignalToExecute, abort?: AbortSignal): SubmitContext {
  return {
    clientOrderId: clientOrderId(signal.id, "zerodha"),
    abort: abort ?? new AbortController().signal,
  };
}

/** Submits a signal as the engine does, with no last price (the trader does not use it). */
export function submit(
  trader: ZerodhaTrader,
  signal: SignalToExecute,
  abort?: AbortSignal,
): Promise<SubmitResult> {
  return trader.executeOrder(signal, null, contextFor(signal, abort));
}

/** The ref of a signal's order, with Kite's id when known. */
export function refOf(signal: SignalToExecute, orderId: string | null = null): OrderRef {
  return { clientOrderId: clientOrderId(signal.id, "zerodha"), orderId };
}

/** The order id of a `placed` answer; throws on anything else. */
export function placedId(result: SubmitResult): string {
  if (result.kind !== "placed") throw new Error(`expected placed, got ${JSON.stringify(result)}`);
  return result.payload.order_id;
}

/** Queries until `done` holds for the answer (Kite's order book moves on its own), or fails. */
export async function queryUntil(
  trader: ZerodhaTrader,
  ref: OrderRef,
  done: (answer: OrderQuery) => boolean,
  timeoutMs = 5_000,
): Promise<OrderQuery> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await trader.queryOrder(ref);
    if (done(answer)) return answer;
    if (Date.now() > deadline) {
      throw new Error(`query never satisfied; last answer ${JSON.stringify(answer)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a query found the order in a final state. */
export function ended(answer: OrderQuery): boolean {
  return answer.kind === "found" && FINAL_BROKER_STATUSES.has(answer.report.status);
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

/** The real client against the emulator, to wrap one of its calls in a test. */
export function realApi(emulator: KiteEmulator): KiteApi {
  return createKiteApi({
    apiKey: API_KEY,
    accessToken: ACCESS_TOKEN,
    root: emulator.url,
    timeoutMs: 2_000,
    instrumentsTimeoutMs: 5_000,
  });
}

/** Placement requests the emulator received, answered or not. */
export function placementRequests(emulator: KiteEmulator): number {
  return emulator.stats().requestsByPath["POST /orders/:variety"] ?? 0;
}

/** Answers counted by kind, failures by error code: `{ placed: 3, "failed:RATE_LIMITED": 1 }`. */
export function kinds(results: readonly SubmitResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.kind === "failed" ? `failed:${result.payload.error_code}` : result.kind;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export interface TraderFixture {
  /**
   * Starts an emulator and an initialised trader against it, both stopped after the test.
   * `api` wraps the real client, for what the emulator cannot answer.
   */
  setup(
    env?: Record<string, string>,
    options?: KiteEmulatorOptions,
    api?: (real: KiteApi) => KiteApi,
  ): Promise<{ emulator: KiteEmulator; trader: ZerodhaTrader; logger: RecordingLogger }>;
}

/** One emulator and trader per test, stopped after it: call at the top of a test file. */
export function traderFixture(): TraderFixture {
  const running: { emulator: KiteEmulator; trader: ZerodhaTrader }[] = [];
  afterEach(async () => {
    for (const { emulator, trader } of running.splice(0)) {
      await trader.shutdown();
      await emulator.stop();
    }
  });
  return {
    async setup(env = {}, options = {}, api) {
      const emulator = await startEmulator(options);
      const wrapped = api?.(realApi(emulator));
      const { trader, logger } = traderFor(
        emulator,
        env,
        wrapped ? { tuning: { api: wrapped } } : {},
      );
      running.push({ emulator, trader });
      expect(await trader.initialize()).toBe(true);
      return { emulator, trader, logger };
    },
  };
}
