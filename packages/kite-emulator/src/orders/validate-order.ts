import type { InstrumentTable } from "../instruments/instrument-table.js";
import {
  ORDER_TYPES,
  type OrderType,
  PRODUCTS,
  TRANSACTION_TYPES,
  VALIDITIES,
  VARIETIES,
  type Variety,
} from "./kite-order.js";
import { MESSAGES } from "./order-messages.js";
import type { OrderRequest } from "./order-request.js";

/** Outcome of validating a placement: a request to book, or Kite's InputException message. */
export type ValidationResult =
  | { kind: "valid"; request: OrderRequest }
  | { kind: "invalid"; message: string };

type Fields = Readonly<Record<string, string>>;

class Invalid {
  constructor(readonly message: string) {}
}

function present(fields: Fields, name: string): string | undefined {
  const value = fields[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function required(fields: Fields, name: string): string {
  const value = present(fields, name);
  if (value === undefined) throw new Invalid(MESSAGES.missing(name));
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new Invalid(MESSAGES.invalid(name));
  return found;
}

function nonNegativeInt(value: string | undefined, name: string, fallback = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Invalid(MESSAGES.invalid(name));
  return Number(value);
}

function nonNegativeNumber(value: string | undefined, name: string): number {
  if (value === undefined) return 0;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Invalid(MESSAGES.invalid(name));
  return parsed;
}

/**
 * `market_protection` as Kite takes it since April 2026: -1 (automatic) or a percentage p with
 * 0 < p ≤ 100, decimals allowed (1.5). A MARKET or SL-M order must carry it and may not send 0; a
 * LIMIT or SL order may omit it or send 0, which means nothing for an order with a price.
 */
function marketProtection(value: string | undefined, orderType: OrderType): number | undefined {
  const atMarket = orderType === "MARKET" || orderType === "SL-M";
  if (value === undefined) {
    if (atMarket) throw new Invalid(MESSAGES.marketProtectionRequired);
    return undefined;
  }
  const parsed = Number(value);
  if (parsed === -1) return parsed;
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 100) {
    throw new Invalid(MESSAGES.invalidMarketProtection);
  }
  if (parsed === 0 && atMarket) throw new Invalid(MESSAGES.zeroMarketProtection);
  return parsed;
}

function tag(value: string | undefined): string | null {
  if (value === undefined) return null;
  // Kite rejects rather than truncates a long tag; alphanumeric-only is the safe subset.
  if (value.length > 20 || !/^[A-Za-z0-9]+$/.test(value)) throw new Invalid(MESSAGES.invalidTag);
  return value;
}

/** Parses the `{variety}` path segment of `POST /orders/{variety}`. */
export function parseVariety(value: string): Variety | undefined {
  return VARIETIES.find((variety) => variety === value);
}

/**
 * Validates the form fields of `POST /orders/{variety}` the way Kite's API layer does, before the
 * order reaches the order system. Margin is checked later, by the order book, because Kite
 * reports insufficient funds as a REJECTED order rather than as an error response.
 */
export function validateOrder(
  variety: Variety,
  fields: Fields,
  instruments: InstrumentTable,
): ValidationResult {
  try {
    return { kind: "valid", request: parse(variety, fields, instruments) };
  } catch (error) {
    if (error instanceof Invalid) return { kind: "invalid", message: error.message };
    throw error;
  }
}

/** The limit and trigger prices, each required where the order type or variety needs it. */
function prices(variety: Variety, order_type: OrderRequest["order_type"], fields: Fields) {
  const price = nonNegativeNumber(present(fields, "price"), "price");
  const trigger_price = nonNegativeNumber(present(fields, "trigger_price"), "trigger_price");
  if ((order_type === "LIMIT" || order_type === "SL") && price <= 0) {
    throw new Invalid(MESSAGES.priceRequired);
  }
  const needsTrigger = order_type === "SL" || order_type === "SL-M" || variety === "co";
  if (needsTrigger && trigger_price <= 0) throw new Invalid(MESSAGES.triggerRequired);
  return { price, trigger_price, needsTrigger };
}

/** The fields only some varieties have: an iceberg's legs, an auction's number. */
function checkVarietyFields(variety: Variety, fields: Fields): void {
  if (variety === "iceberg") {
    const legs = nonNegativeInt(required(fields, "iceberg_legs"), "iceberg_legs");
    if (legs < 2 || legs > 10) throw new Invalid(MESSAGES.invalid("iceberg_legs"));
    nonNegativeInt(required(fields, "iceberg_quantity"), "iceberg_quantity");
  }
  if (variety === "auction") required(fields, "auction_number");
}

function parse(variety: Variety, fields: Fields, instruments: InstrumentTable): OrderRequest {
  const exchange = required(fields, "exchange");
  const tradingsymbol = required(fields, "tradingsymbol");
  const transaction_type = oneOf(
    required(fields, "transaction_type"),
    TRANSACTION_TYPES,
    "transaction_type",
  );
  const quantity = nonNegativeInt(required(fields, "quantity"), "quantity");
  if (quantity <= 0) throw new Invalid(MESSAGES.invalid("quantity"));
  const product = oneOf(required(fields, "product"), PRODUCTS, "product");
  const order_type = oneOf(required(fields, "order_type"), ORDER_TYPES, "order_type");
  const validity = oneOf(present(fields, "validity") ?? "DAY", VALIDITIES, "validity");

  const instrument = instruments.find(exchange, tradingsymbol);
  if (instrument === undefined) throw new Invalid(MESSAGES.unknownInstrument);
  if (quantity % instrument.lot_size !== 0)
    throw new Invalid(MESSAGES.lotSize(instrument.lot_size));

  const { price, trigger_price, needsTrigger } = prices(variety, order_type, fields);

  const protection = marketProtection(present(fields, "market_protection"), order_type);

  const validity_ttl = nonNegativeInt(present(fields, "validity_ttl"), "validity_ttl");
  if (validity === "TTL" && validity_ttl <= 0) throw new Invalid(MESSAGES.invalid("validity_ttl"));
  const disclosed_quantity = nonNegativeInt(
    present(fields, "disclosed_quantity"),
    "disclosed_quantity",
  );
  if (disclosed_quantity > quantity) throw new Invalid(MESSAGES.invalid("disclosed_quantity"));
  checkVarietyFields(variety, fields);

  return {
    variety,
    instrument,
    transaction_type,
    quantity,
    product,
    order_type,
    // A market order has no limit price even if the caller sent one.
    price: order_type === "MARKET" || order_type === "SL-M" ? 0 : price,
    trigger_price: needsTrigger ? trigger_price : 0,
    validity,
    validity_ttl,
    disclosed_quantity,
    market_protection: protection ?? 0,
    tag: tag(present(fields, "tag")),
  };
}
