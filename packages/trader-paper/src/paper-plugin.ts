import type { TraderPlugin } from "@engine/core";
import type { FeeModel } from "./fees/fee-model.js";
import { FlatPercentFeeModel } from "./fees/flat-percent-fee-model.js";
import { ZerodhaEquityFeeModel } from "./fees/zerodha-equity-fee-model.js";
import { type PaperSettings, PaperSettingsSchema } from "./paper-settings.js";
import { PaperTrader } from "./paper-trader.js";

/** The fee model the settings ask for. */
export function feeModelFrom(fees: PaperSettings["fees"]): FeeModel {
  return fees.model === "zerodha_equity"
    ? new ZerodhaEquityFeeModel({ product: fees.product, exchange: fees.exchange })
    : new FlatPercentFeeModel(fees.percent);
}

/**
 * The paper trader as an engine plugin: namespace `paper`, takes every signal when enabled. It
 * keeps resting orders in the engine's database (`paper_orders`) when the engine gives one, and
 * meets them with the engine's market data.
 */
export const paperPlugin: TraderPlugin<PaperSettings> = {
  namespace: "paper",
  live: false,
  settingsSchema: PaperSettingsSchema,
  enabledFor: () => true,
  create: ({ namespace, settings, clock, logger, sql, marketData, ordersChanged }) =>
    new PaperTrader({
      namespace,
      orderType: settings.orderType,
      slippageBps: settings.slippageBps,
      randomSpreadBps: settings.randomSpreadBps,
      randomSeed: settings.randomSeed,
      tickSize: settings.tickSize,
      feeModel: feeModelFrom(settings.fees),
      clock,
      logger,
      sql,
      marketData,
      ordersChanged: ordersChanged === undefined ? undefined : () => ordersChanged(),
    }),
};
