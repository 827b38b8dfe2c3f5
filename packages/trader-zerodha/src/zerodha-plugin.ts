import type { TraderPlugin } from "@engine/core";
import {
  ZERODHA_SECRET_VARIABLES,
  type ZerodhaSettings,
  ZerodhaSettingsSchema,
} from "./zerodha-settings.js";
import { ZerodhaTrader } from "./zerodha-trader.js";

/**
 * The Zerodha trader as an engine plugin: namespace `zerodha`, live, taken by strategies whose
 * configuration has `zerodha_trading_enabled`.
 */
export const zerodhaPlugin: TraderPlugin<ZerodhaSettings> = {
  namespace: "zerodha",
  live: true,
  settingsSchema: ZerodhaSettingsSchema,
  secretVariables: ZERODHA_SECRET_VARIABLES,
  enabledFor: (strategy) => strategy.zerodha_trading_enabled,
  create: ({ namespace, settings, logger, clock, sql, ordersChanged }) =>
    new ZerodhaTrader({
      namespace,
      settings,
      logger,
      clock,
      ...(sql ? { sql } : {}),
      // Bound to the context: the engine's callback may rely on `this`.
      ...(ordersChanged ? { ordersChanged: () => ordersChanged() } : {}),
    }),
};
