import type { TraderPlugin } from "@engine/core";
import {
  UPSTOX_SECRET_VARIABLES,
  type UpstoxSettings,
  UpstoxSettingsSchema,
} from "./upstox-settings.js";
import { UpstoxTrader } from "./upstox-trader.js";

/**
 * The Upstox trader as an engine plugin: namespace `upstox`, live. A strategy trades on it when
 * the engine's `strategy_execution_targets` lists `upstox` for it (the router reads that for
 * every live namespace); the plugin adds no rule of its own.
 */
export const upstoxPlugin: TraderPlugin<UpstoxSettings> = {
  namespace: "upstox",
  live: true,
  settingsSchema: UpstoxSettingsSchema,
  secretVariables: UPSTOX_SECRET_VARIABLES,
  enabledFor: (strategy) => strategy.execution_targets?.includes("upstox") === true,
  create: ({ namespace, settings, logger, clock, sql, instruments }) =>
    new UpstoxTrader({
      namespace,
      settings,
      logger,
      clock,
      ...(sql ? { sql } : {}),
      ...(instruments ? { instruments } : {}),
    }),
};
