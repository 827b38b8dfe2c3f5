import type { InstrumentInfo, KnownErrorCode, LastPrice, SignalToExecute } from "@engine/core";
import type { PlaceOrderV3Body } from "upstox-js-sdk";
import type { UpstoxInstrument } from "../instruments/upstox-instrument.js";
import type { UpstoxSettings } from "../upstox-settings.js";

/** The order to send, or why none can be. */
export type OrderSpec =
  | { ok: true; body: PlaceOrderV3Body; limitPrice: number | null }
  | { ok: false; code: KnownErrorCode; message: string };

/** Rounds a price to the nearest tick, in rupees, without binary noise (2501.35, not 2501.3500001). */
export function roundToTick(price: number, tick: number): number {
  const ticks = Math.round(price / tick);
  const decimals = Math.max(0, Math.ceil(-Math.log10(tick)) + 1);
  return Number((ticks * tick).toFixed(decimals));
}

/**
 * The v3 place body of a signal on an instrument mapped to Upstox, with the client order id as
 * `tag` and market protection on every MARKET order. A LIMIT order is priced at the validated
 * price (else the signal's, else the last price) rounded to the platform's tick size.
 */
export function orderSpecFor(
  signal: SignalToExecute,
  lastPrice: LastPrice,
  instrument: InstrumentInfo,
  upstoxInstrument: UpstoxInstrument,
  settings: UpstoxSettings,
  tag: string,
): OrderSpec {
  const side = signal.data.original_signal.signal_type;
  if (side === "HOLD")
    return { ok: false, code: "INVALID_SIGNAL", message: "a HOLD signal places no order" };
  const quantity = signal.data.validated_quantity;
  const lot = upstoxInstrument.lotSize;
  if (quantity <= 0 || quantity % lot !== 0) {
    return {
      ok: false,
      code: "INVALID_QUANTITY",
      message: `quantity ${quantity} is not a positive multiple of the lot size ${lot}`,
    };
  }
  const common = {
    quantity,
    product: settings.product,
    validity: "DAY",
    instrumentToken: upstoxInstrument.instrumentKey,
    transactionType: side,
    disclosedQuantity: 0,
    triggerPrice: 0,
    isAmo: false,
    tag,
  };
  if (settings.orderType === "MARKET") {
    return {
      ok: true,
      body: {
        ...common,
        orderType: "MARKET",
        price: 0,
        marketProtection: settings.marketProtection,
      },
      limitPrice: null,
    };
  }
  const wanted =
    signal.data.validated_price ??
    signal.data.original_signal.price ??
    lastPrice?.lastPrice ??
    null;
  if (wanted === null || !(wanted > 0)) {
    return { ok: false, code: "NO_MARKET_PRICE", message: "no price for a LIMIT order" };
  }
  const price = roundToTick(wanted, instrument.tickSize);
  return { ok: true, body: { ...common, orderType: "LIMIT", price }, limitPrice: price };
}
