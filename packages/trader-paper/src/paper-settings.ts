import { envBoolean, envEnum, envNumber, envOptional } from "@engine/core";
import { z } from "zod";
import type { PaperOrderType } from "./paper-order.js";

/** The paper trader's configuration, read from environment variables. */
export const PaperSettingsSchema = z
  .object({
    PAPER_TRADING_ENABLED: envBoolean(true),
    PAPER_ORDER_TYPE: envEnum(["market", "limit"], "market"),
    PAPER_SLIPPAGE_BPS: envNumber(0, { min: 0, max: 1_000 }),
    PAPER_RANDOM_SPREAD_BPS: envNumber(0, { min: 0, max: 1_000 }),
    PAPER_RANDOM_SEED: envOptional(),
    PAPER_TICK_SIZE: envNumber(0.05, { min: 0.0001, max: 100 }),
    PAPER_FEE_MODEL: envEnum(["flat_percent", "zerodha_equity"], "flat_percent"),
    PAPER_FEE_PERCENT: envNumber(0.1, { min: 0, max: 10 }),
    PAPER_FEE_PRODUCT: envEnum(["intraday", "delivery"], "intraday"),
    PAPER_FEE_EXCHANGE: envEnum(["nse", "bse"], "nse"),
  })
  .transform((env) => ({
    enabled: env.PAPER_TRADING_ENABLED,
    orderType: env.PAPER_ORDER_TYPE.toUpperCase() as PaperOrderType,
    slippageBps: env.PAPER_SLIPPAGE_BPS,
    randomSpreadBps: env.PAPER_RANDOM_SPREAD_BPS,
    randomSeed: env.PAPER_RANDOM_SEED ?? "paper",
    tickSize: env.PAPER_TICK_SIZE,
    fees: {
      model: env.PAPER_FEE_MODEL,
      percent: env.PAPER_FEE_PERCENT,
      product: env.PAPER_FEE_PRODUCT,
      exchange: env.PAPER_FEE_EXCHANGE.toUpperCase() as "NSE" | "BSE",
    },
  }));
/** The paper trader's settings once read: see {@link PaperSettingsSchema} for each variable. */
export type PaperSettings = z.infer<typeof PaperSettingsSchema>;
