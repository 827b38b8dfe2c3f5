import { envBoolean, envEnum, envInteger, envOptional } from "@engine/core";
import { z } from "zod";

/** Upstox's API host, for reads (`UPSTOX_API_ROOT`'s default). */
export const DEFAULT_UPSTOX_API_ROOT = "https://api.upstox.com";
/** Upstox's order host, for place, modify and cancel (`UPSTOX_ORDER_API_ROOT`'s default). */
export const DEFAULT_UPSTOX_ORDER_API_ROOT = "https://api-hft.upstox.com";
/** Upstox's daily instrument master of every exchange, gzip'd JSON. */
export const DEFAULT_UPSTOX_INSTRUMENTS_URL =
  "https://assets.upstox.com/market-quote/instruments/exchange/complete.json.gz";

/** An http(s) URL; the message never repeats the value. */
const url = envOptional().refine((value) => {
  if (value === undefined) return true;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, "expected an http or https URL");

/**
 * `UPSTOX_MARKET_PROTECTION`: -1 (automatic, the default) or a whole percentage from 1 to 25, as
 * Upstox takes it. 0 is refused with its own reason: Upstox refuses market orders without
 * protection since April 2026 (`UDAPI1158`).
 */
const marketProtection = envInteger(-1, { min: -1, max: 25 }).refine(
  (value) => value !== 0,
  "0 is refused by Upstox since April 2026: use -1 (automatic) or a percentage from 1 to 25",
);

/** The algo name sent as `X-Algo-Name`: Upstox's registered name, printable ASCII. */
const algoName = envOptional().refine(
  (value) => value === undefined || /^[\x21-\x7e][\x20-\x7e]{0,63}$/.test(value),
  "expected up to 64 printable ASCII characters",
);

/**
 * The Upstox trader's configuration, from environment variables (issue paths are the variable
 * names). A token is required only when `UPSTOX_ENABLED` is true.
 */
export const UpstoxSettingsSchema = z
  .object({
    UPSTOX_ENABLED: envBoolean(false),
    UPSTOX_ACCESS_TOKEN: envOptional(),
    UPSTOX_ACCESS_TOKEN_FILE: envOptional(),
    UPSTOX_API_ROOT: url,
    UPSTOX_ORDER_API_ROOT: url,
    UPSTOX_INSTRUMENTS_URL: url,
    UPSTOX_TIMEOUT_MS: envInteger(7_000, { min: 50, max: 120_000 }),
    UPSTOX_PRODUCT: envEnum(["i", "d"], "i"),
    UPSTOX_ORDER_TYPE: envEnum(["market", "limit"], "market"),
    UPSTOX_MARKET_PROTECTION: marketProtection,
    UPSTOX_ALGO_NAME: algoName,
    UPSTOX_ORDERS_PER_SECOND: envInteger(10, { min: 1, max: 1_000 }),
    UPSTOX_ORDERS_PER_MINUTE: envInteger(500, { min: 1, max: 60_000 }),
    // Upstox's limit for an algo not registered with the exchange.
    UPSTOX_ORDERS_PER_30_MINUTES: envInteger(2_000, { min: 1, max: 1_000_000 }),
    // Upstox publishes no daily limit, only the 30-minute one: at most 25,000 in a 6 h 15 min
    // session.
    UPSTOX_ORDERS_PER_DAY: envInteger(25_000, { min: 1, max: 10_000_000 }),
    UPSTOX_READS_PER_SECOND: envInteger(50, { min: 1, max: 1_000 }),
    UPSTOX_MAX_QUEUE_MS: envInteger(30_000, { min: 0, max: 600_000 }),
    UPSTOX_ORDER_VISIBILITY_MS: envInteger(5_000, { min: 0, max: 600_000 }),
    UPSTOX_STATUS_POLL_MS: envInteger(1_000, { min: 100, max: 60_000 }),
    UPSTOX_TOKEN_POLL_MS: envInteger(5_000, { min: 100, max: 600_000 }),
  })
  .superRefine(
    (env, ctx) => {
      if (
        env.UPSTOX_ENABLED === true &&
        !env.UPSTOX_ACCESS_TOKEN &&
        !env.UPSTOX_ACCESS_TOKEN_FILE
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["UPSTOX_ACCESS_TOKEN"],
          message:
            "UPSTOX_ACCESS_TOKEN or UPSTOX_ACCESS_TOKEN_FILE is required when UPSTOX_ENABLED is true",
        });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  )
  .transform((env) => ({
    enabled: env.UPSTOX_ENABLED,
    accessToken: env.UPSTOX_ACCESS_TOKEN ?? null,
    accessTokenFile: env.UPSTOX_ACCESS_TOKEN_FILE ?? null,
    apiRoot: env.UPSTOX_API_ROOT ?? DEFAULT_UPSTOX_API_ROOT,
    orderApiRoot: env.UPSTOX_ORDER_API_ROOT ?? DEFAULT_UPSTOX_ORDER_API_ROOT,
    instrumentsUrl: env.UPSTOX_INSTRUMENTS_URL ?? DEFAULT_UPSTOX_INSTRUMENTS_URL,
    timeoutMs: env.UPSTOX_TIMEOUT_MS,
    product: env.UPSTOX_PRODUCT.toUpperCase() as "I" | "D",
    orderType: env.UPSTOX_ORDER_TYPE.toUpperCase() as "MARKET" | "LIMIT",
    marketProtection: env.UPSTOX_MARKET_PROTECTION,
    algoName: env.UPSTOX_ALGO_NAME ?? null,
    limits: {
      ordersPerSecond: env.UPSTOX_ORDERS_PER_SECOND,
      ordersPerMinute: env.UPSTOX_ORDERS_PER_MINUTE,
      ordersPerHalfHour: env.UPSTOX_ORDERS_PER_30_MINUTES,
      ordersPerDay: env.UPSTOX_ORDERS_PER_DAY,
      readsPerSecond: env.UPSTOX_READS_PER_SECOND,
    },
    maxQueueMs: env.UPSTOX_MAX_QUEUE_MS,
    orderVisibilityMs: env.UPSTOX_ORDER_VISIBILITY_MS,
    statusPollMs: env.UPSTOX_STATUS_POLL_MS,
    tokenPollMs: env.UPSTOX_TOKEN_POLL_MS,
  }));

/** The Upstox trader's parsed configuration. */
export type UpstoxSettings = z.infer<typeof UpstoxSettingsSchema>;

/** Variables whose values are secrets: never printed, logged or put in an event. */
export const UPSTOX_SECRET_VARIABLES = ["UPSTOX_ACCESS_TOKEN"] as const;
