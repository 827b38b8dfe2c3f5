import type { Instrument } from "../instruments/instrument.js";

/** Products the trader places (Kite also has MTF, which the published client types lack). */
export type KiteProduct = "MIS" | "CNC" | "NRML";
/** Order types the trader places. */
export type KiteOrderType = "MARKET" | "LIMIT";

/**
 * The body of `POST /orders/regular`. A type of our own: kiteconnect 5.3.0's published types lack
 * `market_protection` (mandatory for MARKET orders through the API since 1 April 2026) and narrow
 * `exchange` to a literal union that a value read from the instrument dump cannot satisfy.
 */
export interface KiteOrderParams {
  exchange: string;
  tradingsymbol: string;
  transaction_type: "BUY" | "SELL";
  quantity: number;
  product: KiteProduct;
  order_type: KiteOrderType;
  validity: "DAY";
  price?: number;
  market_protection?: number;
  tag: string;
}

/** What an order is made of, decided once per signal. */
export interface OrderSpec {
  instrument: Instrument;
  side: "BUY" | "SELL";
  quantity: number;
  product: KiteProduct;
  orderType: KiteOrderType;
  /** The limit price, already on the tick; null for MARKET. */
  limitPrice: number | null;
  /** -1 (automatic) or a percentage; sent with MARKET orders only. */
  marketProtection: number;
  tag: string;
}

/**
 * A fresh params object for one placement attempt. Fresh every time because the client writes
 * `variety` into the object it is given, so a reused object would carry it into the next call.
 */
export function orderParams(spec: OrderSpec): KiteOrderParams {
  const params: KiteOrderParams = {
    exchange: spec.instrument.exchange,
    tradingsymbol: spec.instrument.tradingsymbol,
    transaction_type: spec.side,
    quantity: spec.quantity,
    product: spec.product,
    order_type: spec.orderType,
    validity: "DAY",
    tag: spec.tag,
  };
  if (spec.orderType === "LIMIT" && spec.limitPrice !== null) params.price = spec.limitPrice;
  if (spec.orderType === "MARKET") params.market_protection = spec.marketProtection;
  return params;
}

/**
 * A price rounded to the instrument's tick: toward the passive side, so a limit never pays more
 * (BUY rounds down) or accepts less (SELL rounds up) than the validated price. The result is cut
 * to the tick's decimals so that binary fractions such as 2501.4500000000003 never reach Kite.
 */
export function roundToTick(price: number, tickSize: number, side: "BUY" | "SELL"): number {
  if (!(tickSize > 0)) return price;
  const ticks = price / tickSize;
  // A ratio within a rounding error of a whole number is that number, not the next tick.
  const nearest = Math.round(ticks);
  const whole =
    Math.abs(ticks - nearest) < 1e-9
      ? nearest
      : side === "BUY"
        ? Math.floor(ticks)
        : Math.ceil(ticks);
  const decimals = Math.min(10, Math.max(0, decimalsOf(tickSize)));
  return Number((whole * tickSize).toFixed(decimals));
}

function decimalsOf(value: number): number {
  const text = String(value);
  if (text.includes("e-")) return Number(text.split("e-")[1]);
  const dot = text.indexOf(".");
  return dot === -1 ? 0 : text.length - dot - 1;
}
