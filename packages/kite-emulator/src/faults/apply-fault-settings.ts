import type { EmulatorState } from "../emulator-state.js";
import type { FaultSettings } from "./fault-settings.js";

/** Applies fault settings, including the one-shot `expireToken`, which is session state. */
export function applyFaultSettings(state: EmulatorState, settings: FaultSettings): void {
  state.faults.set(settings);
  if (settings.expireToken === true) state.session.expire();
}
