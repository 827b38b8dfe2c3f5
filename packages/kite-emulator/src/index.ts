export type { KiteEmulatorOptions } from "./emulator-options.js";
export { EmulatorStateError, UnknownInstrumentError } from "./errors.js";
export type {
  ActiveFaults,
  FaultSettings,
  OrderSystemDownFault,
  TimeoutAfterAcceptFault,
  TooManyRequestsFault,
  UnexpectedContentTypeFault,
} from "./faults/fault-settings.js";
export { DEFAULT_INSTRUMENTS } from "./instruments/default-instruments.js";
export { INSTRUMENT_COLUMNS, type Instrument } from "./instruments/instrument.js";
export { renderInstrumentsCsv } from "./instruments/instruments-csv.js";
export {
  generateSyntheticInstruments,
  type SyntheticInstrumentOptions,
} from "./instruments/synthetic-instruments.js";
export { KiteEmulator, type StartOptions } from "./kite-emulator.js";
export type { EmulatorStats } from "./observability/emulator-stats.js";
export type { LoggedRequest } from "./observability/request-log.js";
export type { FillSettings, FillSettingsUpdate } from "./orders/fill-settings.js";
export type {
  EmulatedOrder,
  KiteOrder,
  KiteTrade,
  OrderStatus,
  OrderType,
  Product,
  TransactionType,
  Validity,
  Variety,
} from "./orders/kite-order.js";
export { postbackChecksum } from "./postbacks/postback-checksum.js";
export type { PostbackPayload } from "./postbacks/postback-sender.js";
