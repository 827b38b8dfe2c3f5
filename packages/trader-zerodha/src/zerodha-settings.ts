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

/**
 * `ZERODHA_MARKET_PROTECTION`: -1 (automatic) or a percentage above 0 up to 100, decimals allowed
 * (Kite takes 1.5). 0 is refused with its own reason: Kite refuses it since April 2026.
 */
const marketProtection = z
  .string()
  .optional()
  .transform((value, ctx): number => {
    const text = value?.trim() ?? "";
    if (text === "") return -1;
    const number = Number(text);
    if (number === 0) {
      ctx.addIssue({
        code: "custom",
        message:
          "0 is refused by Kite since April 2026 (a MARKET order through the API must carry market protection): use -1 for automatic, or a percentage above 0 such as 1.5",
      });
      return z.NEVER;
    }
    if (!Number.isFinite(number) || !(number === -1 || (number > 0 && number <= 100))) {
      ctx.addIssue({
        code: "custom",
        message: "expected -1 (automatic) or a percentage above 0 up to 100, such as 1.5",
      });
      return z.NEVER;
    }
    return number;
  });

/**
 * Variables of earlier versions that no longer do anything: accepted (a deployment that still
 * sets them keeps starting) and reported at start, so nobody believes they still bound anything.
 */
export const OBSOLETE_VARIABLES = {
  ZERODHA_EXECUTION_BUDGET_MS:
    "a placement is sent at most once per call and the engine resolves an unclear answer; the wait for a rate-limit slot is ZERODHA_MAX_QUEUE_MS",
  ZERODHA_RECONCILE_DELAY_MS:
    "an unclear placement is answered `unknown` and the engine resolves it by query after ZERODHA_ORDER_VISIBILITY_MS",
  ZERODHA_POLL_INTERVAL_MS:
    "the engine follows open orders with batch status reports every ZERODHA_STATUS_POLL_MS",
} as const;
type ObsoleteVariable = keyof typeof OBSOLETE_VARIABLES;

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
    ZERODHA_MARKET_PROTECTION: marketProtection,
    ZERODHA_EXCHANGE: exchange,
    ZERODHA_ORDERS_PER_SECOND: envInteger(10, { min: 1, max: 1_000 }),
    ZERODHA_ORDERS_PER_MINUTE: envInteger(400, { min: 1, max: 60_000 }),
    ZERODHA_ORDERS_PER_DAY: envInteger(5_000, { min: 1, max: 10_000_000 }),
    ZERODHA_REQUESTS_PER_SECOND: envInteger(10, { min: 1, max: 1_000 }),
    ZERODHA_MAX_QUEUE_MS: envInteger(60_000, { min: 0, max: 600_000 }),
    ZERODHA_ORDER_VISIBILITY_MS: envInteger(20_000, { min: 1_000, max: 600_000 }),
    ZERODHA_STATUS_POLL_MS: envInteger(1_000, { min: 100, max: 60_000 }),
    ZERODHA_EXECUTION_BUDGET_MS: envOptional(),
    ZERODHA_RECONCILE_DELAY_MS: envOptional(),
    ZERODHA_POLL_INTERVAL_MS: envOptional(),
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
    maxQueueMs: env.ZERODHA_MAX_QUEUE_MS,
    orderVisibilityMs: env.ZERODHA_ORDER_VISIBILITY_MS,
    statusPollMs: env.ZERODHA_STATUS_POLL_MS,
    ignoredVariables: (Object.keys(OBSOLETE_VARIABLES) as ObsoleteVariable[]).filter(
      (name) => env[name] !== undefined,
    ),
    postbackPort: env.KITE_POSTBACK_PORT ?? null,
    postbackHost: env.KITE_POSTBACK_HOST ?? null,
  }));

/** The Zerodha trader's parsed configuration. */
export type ZerodhaSettings = z.infer<typeof ZerodhaSettingsSchema>;

/** Variables whose values are secrets: never printed, logged or put in an event. */
export const ZERODHA_SECRET_VARIABLES = ["KITE_ACCESS_TOKEN", "KITE_API_SECRET"] as const;
