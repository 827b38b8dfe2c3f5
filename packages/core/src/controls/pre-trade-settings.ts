import { z } from "zod";
import { decimalValue, envList } from "../settings/env.js";
import { PRE_TRADE_RULES, type PreTradeLimits, type PreTradeRule } from "./pre-trade-limits.js";

const FIELD: Record<PreTradeRule, keyof PreTradeLimits> = {
  max_order_quantity: "maxOrderQuantity",
  max_order_notional: "maxOrderNotional",
  price_collar_pct: "priceCollarPct",
  max_orders_per_minute: "maxOrdersPerMinute",
  max_orders_per_day: "maxOrdersPerDay",
  max_daily_notional: "maxDailyNotional",
};

/**
 * What a live namespace gets for a rule nobody configured. A collar of 10 % refuses a LIMIT price
 * no desk means (a fat finger, a stale reference: NSE's widest common price band is 20 %, most
 * stocks sit in 2-10 %); 200 orders a minute is half of Kite's 400 for the whole account: one
 * strategy using more than half the account's budget is a runaway loop, not a plan, and would
 * starve the others. The other rules depend on the desk's capital: off.
 */
export const LIVE_DEFAULT_LIMITS: Partial<PreTradeLimits> = {
  priceCollarPct: 10,
  maxOrdersPerMinute: 200,
};

/** Rules that count (orders, units): whole numbers only. The others are amounts or percents. */
const COUNTED: ReadonlySet<PreTradeRule> = new Set([
  "max_order_quantity",
  "max_orders_per_minute",
  "max_orders_per_day",
]);

/**
 * A limit's value as written: plain decimal digits (`0x10`, `1e3`, `+5` are refused, not read
 * as numbers); a whole number for a rule that counts. Null when it is not one, else the number.
 */
function limitValue(text: string, counted: boolean): number | null {
  const value = decimalValue(text, { integer: counted });
  return value !== null && !text.startsWith("-") ? value : null;
}

function expected(counted: boolean): string {
  return counted
    ? "expected a whole number ≥ 0 (0 turns the rule off)"
    : "expected a decimal number ≥ 0 (0 turns the rule off)";
}

/**
 * A limit variable: unset (null: the default applies) or a number ≥ 0 (0: off), a whole number
 * for `rule`s that count (quantity, orders per minute and per day).
 */
export function envLimit(rule: PreTradeRule) {
  const counted = COUNTED.has(rule);
  return z
    .string()
    .optional()
    .transform((value, ctx): number | null => {
      const text = value?.trim() ?? "";
      if (text === "") return null;
      const number = limitValue(text, counted);
      if (number === null) {
        ctx.addIssue({ code: "custom", message: expected(counted) });
        return z.NEVER;
      }
      return number;
    });
}

/**
 * Per-namespace overrides: comma-separated `namespace.rule=value` entries (`zerodha.max_orders_per_day=500`),
 * each value as {@link envLimit} takes it. A bad entry is named in the error.
 */
export function envLimitOverrides() {
  return envList().transform((entries, ctx) => {
    const overrides: Record<string, Partial<PreTradeLimits>> = {};
    for (const entry of entries) {
      const match = /^([a-z][a-z0-9_-]*)\.([a-z_]+)=(.*)$/.exec(entry);
      const rule = match?.[2] as PreTradeRule | undefined;
      if (!match?.[1] || !rule || !PRE_TRADE_RULES.includes(rule)) {
        ctx.addIssue({
          code: "custom",
          message: `entry "${entry}": expected namespace.rule=value entries, comma-separated; rules: ${PRE_TRADE_RULES.join(", ")}`,
        });
        return z.NEVER;
      }
      const value = limitValue(match[3] ?? "", COUNTED.has(rule));
      if (value === null) {
        ctx.addIssue({
          code: "custom",
          message: `entry "${entry}": ${expected(COUNTED.has(rule))}`,
        });
        return z.NEVER;
      }
      overrides[match[1]] = { ...overrides[match[1]], [FIELD[rule]]: value };
    }
    return overrides;
  });
}

/** The configured limits: engine-wide values (null: unset) and per-namespace overrides. */
export interface PreTradeSettings {
  global: { [K in keyof PreTradeLimits]: number | null };
  byNamespace: Record<string, Partial<PreTradeLimits>>;
}

/**
 * The limits of a namespace, rule by rule: its override, else the engine-wide value, else the
 * live default (`LIVE_DEFAULT_LIMITS`) on a live namespace, else off.
 */
export function preTradeLimitsFor(
  settings: PreTradeSettings,
  namespace: string,
  live: boolean,
): PreTradeLimits {
  const override = settings.byNamespace[namespace] ?? {};
  const limits = {} as PreTradeLimits;
  for (const field of Object.values(FIELD)) {
    limits[field] =
      override[field] ?? settings.global[field] ?? (live ? LIVE_DEFAULT_LIMITS[field] : 0) ?? 0;
  }
  return limits;
}
