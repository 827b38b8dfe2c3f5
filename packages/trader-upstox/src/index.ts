export { brokerStatus, istToIso } from "./orders/order-report.js";
export { roundToTick } from "./orders/order-spec.js";
export { upstoxPlugin } from "./upstox-plugin.js";
export {
  DEFAULT_UPSTOX_API_ROOT,
  DEFAULT_UPSTOX_INSTRUMENTS_URL,
  DEFAULT_UPSTOX_ORDER_API_ROOT,
  UPSTOX_SECRET_VARIABLES,
  type UpstoxSettings,
  UpstoxSettingsSchema,
} from "./upstox-settings.js";
export { UpstoxTrader, type UpstoxTraderOptions } from "./upstox-trader.js";
