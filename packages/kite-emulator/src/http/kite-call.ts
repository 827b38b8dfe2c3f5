import type { EmulatorState } from "../emulator-state.js";
import type { Reply } from "./reply.js";

/** A Kite API request that passed the version and token checks. */
export interface KiteCall {
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  body: Readonly<Record<string, string>>;
  /** Arrival time, epoch ms. */
  now: number;
}

/** Handles one Kite API route. */
export type KiteHandler = (call: KiteCall, state: EmulatorState) => Reply;
