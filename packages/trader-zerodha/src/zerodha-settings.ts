import { envBoolean, envEnum, envInteger, envOptional } from "@engine/core";
import { z } from "zod";

/** Kite Connect's production API root. */
export const DEFAULT_KITE_API_ROOT = "https://api.kite.trade";

/** An optional integer variable: unset or empty means absent. */
function envOptionalInteger(bounds: { min: number; max: number }) {
  return z
    .string()
    .optional()
    .transform((value, ctx): number | undefined => {
      const text = value?.trim() ?? "";
      if (text === "") return undefined;
      const number = Number(text);
      if (!Number.isInteger(number) || number < bounds.min || number > bounds.max) {
        ctx.addIssue({
          code: "custom",
          message: `expected an integer from ${bounds.min} to ${bounds.max}`,
        });
        return z.NEVER;
      }
      return number;
    });
}

/** An http(s) URL; the message never repeats the value. */
const apiRoot = envOptional().refine((value) => {
  if (value === undefined) return true;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}, "expected an http or https URL");

/** An exchange code such as NSE or NFO. */
const exchange = envOptional().refine(
  (value) => value === undefined || /^[A-Za-z]{2,10}$/.test(value),
  "expected an exchange code such as NSE",
);

/**
 * The Zerodha trader's configuration, read from environment variables (issue paths are the
 * variable names). Credentials are required only when `ZERODHA_ENABLED` is true.
 */
export const ZerodhaSettingsSchema = z
  .object({
    ZERODHA_ENABLED: envBoolean(false),
    KITE_API_KEY: envOptional(),
    KITE_ACCESS_TOKEN: envOptional(),
    KITE_ACCESS_TOKEN_FILE: envOptional(),
    KITE_API_SECRET: envOptional(),
    KITE_API_ROOT: apiRoot,
    KITE_TIMEOUT_MS: envInteger(7_000, { min: 50, max: 120_000 }),
    ZERODHA_PRODUCT: envEnum(["mis", "cnc", "nrml"], "mis"),
    ZERODHA_ORDER_TYPE: envEnum(["market", "limit"], "market"),
    ZERODHA_MARKET_PROTECTION: envInteger(-1, { min: -1, max: 100 }),
    ZERODHA_EXCHANGE: exchange,
    ZERODHA_ORDERS_PER_SECOND: envInteger(10, { min: 1, max: 1_000 }),
    ZERODHA_ORDERS_PER_MINUTE: envInteger(400, { min: 1, max: 60_000 }),
    ZERODHA_ORDERS_PER_DAY: envInteger(5_000, { min: 1, max: 10_000_000 }),
    ZERODHA_REQUESTS_PER_SECOND: envInteger(10, { min: 1, max: 1_000 }),
    ZERODHA_RECONCILE_DELAY_MS: envInteger(1_000, { min: 0, max: 60_000 }),
    ZERODHA_POLL_INTERVAL_MS: envInteger(500, { min: 10, max: 60_000 }),
    ZERODHA_EXECUTION_BUDGET_MS: envInteger(12_000, { min: 100, max: 600_000 }),
    KITE_POSTBACK_PORT: envOptionalInteger({ min: 0, max: 65_535 }),
    KITE_POSTBACK_HOST: envOptional(),
  })
  .superRefine(
    (env, ctx) => {
      const required = (variable: string, message: string) =>
        ctx.addIssue({ code: "custom", path: [variable], message });
      // Runs even when other variables are bad (`when` below), so one start-up names them all.
      if (env.ZERODHA_ENABLED === true) {
        if (!env.KITE_API_KEY) required("KITE_API_KEY", "required when ZERODHA_ENABLED is true");
        if (!env.KITE_ACCESS_TOKEN && !env.KITE_ACCESS_TOKEN_FILE) {
          required(
            "KITE_ACCESS_TOKEN",
            "KITE_ACCESS_TOKEN or KITE_ACCESS_TOKEN_FILE is required when ZERODHA_ENABLED is true",
          );
        }
      }
      if (env.KITE_POSTBACK_PORT !== undefined && !env.KITE_API_SECRET) {
        required("KITE_API_SECRET", "required when KITE_POSTBACK_PORT is set (postback checksums)");
      }
      const timeout = env.KITE_TIMEOUT_MS;
      const budget = env.ZERODHA_EXECUTION_BUDGET_MS;
      if (typeof timeout === "number" && typeof budget === "number" && budget <= timeout) {
        required(
          "ZERODHA_EXECUTION_BUDGET_MS",
          "must be greater than KITE_TIMEOUT_MS, so a placement can be answered within it",
        );
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  )
  .transform((env) => ({
    enabled: env.ZERODHA_ENABLED,
    apiKey: env.KITE_API_KEY ?? null,
    accessToken: env.KITE_ACCESS_TOKEN ?? null,
    accessTokenFile: env.KITE_ACCESS_TOKEN_FILE ?? null,
    apiSecret: env.KITE_API_SECRET ?? null,
    apiRoot: env.KITE_API_ROOT ?? DEFAULT_KITE_API_ROOT,
    timeoutMs: env.KITE_TIMEOUT_MS,
    product: env.ZERODHA_PRODUCT.toUpperCase() as "MIS" | "CNC" | "NRML",
    orderType: env.ZERODHA_ORDER_TYPE.toUpperCase() as "MARKET" | "LIMIT",
    marketProtection: env.ZERODHA_MARKET_PROTECTION,
    defaultExchange: (env.ZERODHA_EXCHANGE ?? "NSE").toUpperCase(),
    limits: {
      ordersPerSecond: env.ZERODHA_ORDERS_PER_SECOND,
      ordersPerMinute: env.ZERODHA_ORDERS_PER_MINUTE,
      ordersPerDay: env.ZERODHA_ORDERS_PER_DAY,
      requestsPerSecond: env.ZERODHA_REQUESTS_PER_SECOND,
    },
    reconcileDelayMs: env.ZERODHA_RECONCILE_DELAY_MS,
    pollIntervalMs: env.ZERODHA_POLL_INTERVAL_MS,
    executionBudgetMs: env.ZERODHA_EXECUTION_BUDGET_MS,
    postbackPort: env.KITE_POSTBACK_PORT ?? null,
    postbackHost: env.KITE_POSTBACK_HOST ?? null,
  }));

/** The Zerodha trader's parsed configuration. */
export type ZerodhaSettings = z.infer<typeof ZerodhaSettingsSchema>;

/** Variables whose values are secrets: never printed, logged or put in an event. */
export const ZERODHA_SECRET_VARIABLES = ["KITE_ACCESS_TOKEN", "KITE_API_SECRET"] as const;
