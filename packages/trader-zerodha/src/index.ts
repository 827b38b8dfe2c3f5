export { KiteCallError } from "./errors.js";
export type { KiteApi } from "./kite/kite-api.js";
export { classifyKiteError, type KiteFailure } from "./kite/kite-errors.js";
export type { KiteOrderParams } from "./kite/order-params.js";
export { postbackChecksum, verifyPostbackChecksum } from "./postbacks/postback-checksum.js";
export { orderTag } from "./tag.js";
export type { ZerodhaTuning } from "./zerodha-components.js";
export { zerodhaPlugin } from "./zerodha-plugin.js";
export {
  DEFAULT_KITE_API_ROOT,
  ZERODHA_SECRET_VARIABLES,
  type ZerodhaSettings,
  ZerodhaSettingsSchema,
} from "./zerodha-settings.js";
export { ZerodhaTrader, type ZerodhaTraderOptions } from "./zerodha-trader.js";
