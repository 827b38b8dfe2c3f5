/**
 * Pre-trade limits of one namespace; 0 turns a rule off. Quantities in units, money in the
 * instrument's currency, the collar in percent of the last price.
 */
export interface PreTradeLimits {
  /** Largest quantity of one order. */
  maxOrderQuantity: number;
  /** Largest notional of one order (quantity × last price, else the signal's price). */
  maxOrderNotional: number;
  /** Farthest the signal's price (a LIMIT order's price) may lie from the last price, %. */
  priceCollarPct: number;
  /** Orders of one strategy on the namespace in any 60 s. */
  maxOrdersPerMinute: number;
  /** Orders of one strategy on the namespace in one trading day. */
  maxOrdersPerDay: number;
  /** Notional of one strategy's orders on the namespace in one trading day. */
  maxDailyNotional: number;
}

/** The rules, by the name a refusal gives. */
export const PRE_TRADE_RULES = [
  "max_order_quantity",
  "max_order_notional",
  "price_collar_pct",
  "max_orders_per_minute",
  "max_orders_per_day",
  "max_daily_notional",
] as const;
/** One of `PRE_TRADE_RULES`. */
export type PreTradeRule = (typeof PRE_TRADE_RULES)[number];

/** Every rule off. */
export const NO_PRE_TRADE_LIMITS: PreTradeLimits = {
  maxOrderQuantity: 0,
  maxOrderNotional: 0,
  priceCollarPct: 0,
  maxOrdersPerMinute: 0,
  maxOrdersPerDay: 0,
  maxDailyNotional: 0,
};

/** The order to check: its quantity, the signal's price (null: none), the last market price (null: none known). */
export interface PreTradeOrder {
  quantity: number;
  price: number | null;
  lastPrice: number | null;
}

/** What the strategy already sent on the namespace: in the last 60 s, and today. */
export interface PreTradeUsage {
  ordersLastMinute: number;
  ordersToday: number;
  notionalToday: number;
}

/** `checkPreTrade`'s answer: pass (with the order's notional, null when unknown) or refuse naming the rule. */
export type PreTradeVerdict =
  | { kind: "pass"; notional: number | null }
  | { kind: "refuse"; rule: PreTradeRule; message: string };

/**
 * Checks an order against the limits, rule by rule in `PRE_TRADE_RULES` order; a value exactly at
 * a limit passes (within a billionth of it: 0.1 + 0.2 is at 0.3, as an operator reads it), one
 * past it is refused. A notional rule that is on refuses an order whose notional cannot be known
 * (no last price and no signal price), and the price collar an order with a price but no last
 * price to judge it by: fail closed.
 */
export function checkPreTrade(
  limits: PreTradeLimits,
  order: PreTradeOrder,
  usage: PreTradeUsage,
): PreTradeVerdict {
  const reference = order.lastPrice ?? order.price;
  const notional = reference === null ? null : order.quantity * reference;
  const refused = orderRefusal(limits, order, notional) ?? usageRefusal(limits, usage, notional);
  if (refused === null) return { kind: "pass", notional };
  const [rule, message] = refused;
  return { kind: "refuse", rule, message: `pre-trade limit ${rule}: ${message}` };
}

type Refusal = [rule: PreTradeRule, message: string] | null;

/** The per-order rules: quantity, notional, price collar. */
function orderRefusal(
  limits: PreTradeLimits,
  order: PreTradeOrder,
  notional: number | null,
): Refusal {
  if (limits.maxOrderQuantity > 0 && order.quantity > limits.maxOrderQuantity) {
    return ["max_order_quantity", `quantity ${order.quantity} over ${limits.maxOrderQuantity}`];
  }
  if (limits.maxOrderNotional > 0) {
    if (notional === null) return ["max_order_notional", "no price to value the order at"];
    if (over(notional, limits.maxOrderNotional)) {
      return ["max_order_notional", `notional ${notional} over ${limits.maxOrderNotional}`];
    }
  }
  if (limits.priceCollarPct > 0 && order.price !== null) {
    if (order.lastPrice === null) {
      return ["price_collar_pct", `no last price to judge the price ${order.price} by`];
    }
    const distance = (Math.abs(order.price - order.lastPrice) / order.lastPrice) * 100;
    if (over(distance, limits.priceCollarPct)) {
      return [
        "price_collar_pct",
        `price ${order.price} is ${distance.toFixed(2)} % from the last price ${order.lastPrice}, over ${limits.priceCollarPct} %`,
      ];
    }
  }
  return null;
}

/** The rules on what the strategy already did on the namespace: orders a minute and a day, notional a day. */
function usageRefusal(
  limits: PreTradeLimits,
  usage: PreTradeUsage,
  notional: number | null,
): Refusal {
  if (limits.maxOrdersPerMinute > 0 && usage.ordersLastMinute + 1 > limits.maxOrdersPerMinute) {
    return [
      "max_orders_per_minute",
      `${usage.ordersLastMinute} orders in the last minute, at most ${limits.maxOrdersPerMinute}`,
    ];
  }
  if (limits.maxOrdersPerDay > 0 && usage.ordersToday + 1 > limits.maxOrdersPerDay) {
    return [
      "max_orders_per_day",
      `${usage.ordersToday} orders today, at most ${limits.maxOrdersPerDay}`,
    ];
  }
  if (limits.maxDailyNotional > 0) {
    if (notional === null) return ["max_daily_notional", "no price to value the order at"];
    if (over(usage.notionalToday + notional, limits.maxDailyNotional)) {
      return [
        "max_daily_notional",
        `${usage.notionalToday} traded today plus ${notional} is over ${limits.maxDailyNotional}`,
      ];
    }
  }
  return null;
}

/**
 * Whether `value` is past `limit` by more than a billionth of it: prices and sums in binary
 * floating point land a hair off the decimal value they stand for (2450.1 × 1.1 = 2695.11 is
 * 10.000000000000002 % away), and a value at the limit passes.
 */
function over(value: number, limit: number): boolean {
  return value - limit > Math.abs(limit) * 1e-9;
}
