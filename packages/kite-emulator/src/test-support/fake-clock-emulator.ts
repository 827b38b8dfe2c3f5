import type { KiteEmulatorOptions } from "../emulator-options.js";
import { KiteEmulator } from "../kite-emulator.js";
import { clientFor, type Kite } from "./kite-client.js";

/** 1 April 2026, 09:30 IST: a trading day, inside market hours. */
export const FAKE_START_MS = Date.UTC(2026, 3, 1, 4, 0, 0);

/** A started emulator on a fake clock, a real client for it, and the hand that moves the clock. */
export interface FakeClockEmulator {
  emulator: KiteEmulator;
  kite: Kite;
  /** Moves the emulator's clock forward by `ms`. */
  advance(ms: number): void;
}

/**
 * Starts an emulator whose clock stands still at {@link FAKE_START_MS} until `advance` moves it,
 * so lifecycles, lags and rate windows step exactly. The caller stops `emulator`.
 */
export async function startOnFakeClock(
  options: Omit<KiteEmulatorOptions, "clock"> = {},
): Promise<FakeClockEmulator> {
  let now = FAKE_START_MS;
  const emulator = new KiteEmulator({ fillDelayMs: 0, ...options, clock: () => now });
  await emulator.start();
  return {
    emulator,
    kite: clientFor(emulator),
    advance: (ms) => {
      now += ms;
    },
  };
}
