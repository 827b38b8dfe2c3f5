import type { KnownErrorCode, SignalToExecute } from "@engine/core";
import type { InstrumentStore } from "../instruments/instrument-store.js";
import {
  type KiteOrderType,
  type KiteProduct,
  type OrderSpec,
  roundToTick,
} from "../kite/order-params.js";

/** How orders are placed, from the settings. */
export interface OrderPolicy {
  product: KiteProduct;
  orderType: KiteOrderType;
  marketProtection: number;
}

/** The order a signal asks for, or why it cannot be placed (checked before Kite is called). */
export type SpecResult =
  | { ok: true; spec: OrderSpec }
  | { ok: false; code: KnownErrorCode; message: string };

/**
 * Turns a validated signal into an order: side, instrument, quantity (the risk manager's
 * `validated_quantity`, a whole number of lots), price for LIMIT orders (the validated price, else
 * the strategy's, on the instrument's tick), and the tag: the engine's client order id.
 */
export function orderSpecFor(
  signal: SignalToExecute,
  instruments: InstrumentStore,
  policy: OrderPolicy,
  clientOrderId: string,
): SpecResult {
  const original = signal.data.original_signal;
  const side = original.signal_type;
  if (side === "HOLD") {
    return { ok: false, code: "INVALID_SIGNAL", message: "a HOLD signal places no order" };
  }
  const instrument = instruments.get(original.instrument_token);
  if (instrument === undefined) {
    return {
      ok: false,
      code: "INSTRUMENT_NOT_FOUND",
      message: `instrument ${original.instrument_token} is not in Kite's instrument list`,
    };
  }
  const quantity = signal.data.validated_quantity;
  if (!Number.isInteger(quantity) || quantity <= 0) {
    return {
      ok: false,
      code: "INVALID_QUANTITY",
      message: `validated quantity ${quantity} is not positive`,
    };
  }
  if (quantity % instrument.lotSize !== 0) {
    return {
      ok: false,
      code: "INVALID_QUANTITY",
      message: `quantity ${quantity} is not a multiple of the lot size ${instrument.lotSize} of ${instrument.exchange}:${instrument.tradingsymbol}`,
    };
  }
  let limitPrice: number | null = null;
  if (policy.orderType === "LIMIT") {
    const price = signal.data.validated_price ?? original.price;
    if (price === null || !(price > 0)) {
      return {
        ok: false,
        code: "INVALID_SIGNAL",
        message:
          "a LIMIT order needs a price, and the signal has neither validated_price nor price",
      };
    }
    limitPrice = roundToTick(price, instrument.tickSize, side);
  }
  return {
    ok: true,
    spec: {
      instrument,
      side,
      quantity,
      product: policy.product,
      orderType: policy.orderType,
      limitPrice,
      marketProtection: policy.marketProtection,
      tag: clientOrderId,
    },
  };
}
