export { type FeeModel, roundPaise, type Trade } from "./fees/fee-model.js";
export { FlatPercentFeeModel } from "./fees/flat-percent-fee-model.js";
export {
  type ChargeBreakdown,
  type EquityProduct,
  type Exchange,
  ZerodhaEquityFeeModel,
} from "./fees/zerodha-equity-fee-model.js";
export {
  type ProductRates,
  ZERODHA_EQUITY_RATES_2024_10_01,
  type ZerodhaEquityRates,
} from "./fees/zerodha-equity-rates.js";
export { type FillPriceInput, fillPrice } from "./fill-price.js";
export { type MatchInput, matchPrice, touchPrice } from "./fill-rule.js";
export { type LimitPriceResult, limitPriceOf } from "./limit-price.js";
export type { PaperOrder, PaperOrderStatus, PaperOrderType } from "./paper-order.js";
export { ENDED_ORDER_RETENTION_MS } from "./paper-order-repository.js";
export { feeModelFrom, paperPlugin } from "./paper-plugin.js";
export { type PaperSettings, PaperSettingsSchema } from "./paper-settings.js";
export { PaperTrader, type PaperTraderOptions } from "./paper-trader.js";
