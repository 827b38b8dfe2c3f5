export type { FaultKind, FaultRoute, FaultRule, FaultSettings } from "./faults/fault-settings.js";
export type { LoggedUpstoxRequest } from "./http/handle-request.js";
export {
  DEFAULT_UPSTOX_INSTRUMENTS,
  renderInstrumentMaster,
  type UpstoxInstrument,
} from "./instruments/instrument-master.js";
export type { FillPlan } from "./orders/order-book.js";
export type { EmulatedUpstoxOrder, UpstoxOrderRow, UpstoxStatus } from "./orders/upstox-order.js";
export {
  UpstoxEmulator,
  type UpstoxEmulatorOptions,
  UpstoxEmulatorOptionsSchema,
  type UpstoxEmulatorStats,
} from "./upstox-emulator.js";
