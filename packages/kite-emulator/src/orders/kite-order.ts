/** Order varieties accepted on `POST /orders/{variety}`. */
export const VARIETIES = ["regular", "amo", "co", "iceberg", "auction"] as const;
/** A Kite order variety. */
export type Variety = (typeof VARIETIES)[number];

export const TRANSACTION_TYPES = ["BUY", "SELL"] as const;
/** BUY or SELL. */
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

export const PRODUCTS = ["CNC", "NRML", "MIS", "MTF"] as const;
/** A Kite product code. */
export type Product = (typeof PRODUCTS)[number];

export const ORDER_TYPES = ["MARKET", "LIMIT", "SL", "SL-M"] as const;
/** A Kite order type. */
export type OrderType = (typeof ORDER_TYPES)[number];

export const VALIDITIES = ["DAY", "IOC", "TTL"] as const;
/** A Kite order validity. */
export type Validity = (typeof VALIDITIES)[number];

/** Statuses an emulated order passes through; the last three are final. */
export type OrderStatus =
  | "PUT ORDER REQ RECEIVED"
  | "VALIDATION PENDING"
  | "OPEN PENDING"
  | "OPEN"
  | "TRIGGER PENDING"
  | "AMO REQ RECEIVED"
  | "MODIFY VALIDATION PENDING"
  | "MODIFY PENDING"
  | "CANCEL PENDING"
  | "COMPLETE"
  | "REJECTED"
  | "CANCELLED";

/** Statuses after which an order never changes again. */
export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  "COMPLETE",
  "REJECTED",
  "CANCELLED",
]);

/**
 * One state of an order as Kite returns it from `GET /orders` and `GET /orders/{id}`.
 * Timestamps are `YYYY-MM-DD HH:MM:SS` in IST without an offset.
 */
export interface KiteOrder {
  placed_by: string;
  order_id: string;
  exchange_order_id: string | null;
  parent_order_id: string | null;
  status: OrderStatus;
  status_message: string | null;
  status_message_raw: string | null;
  order_timestamp: string;
  exchange_update_timestamp: string | null;
  exchange_timestamp: string | null;
  variety: Variety;
  modified: boolean;
  exchange: string;
  tradingsymbol: string;
  instrument_token: number;
  order_type: OrderType;
  transaction_type: TransactionType;
  validity: Validity;
  validity_ttl: number;
  product: Product;
  quantity: number;
  disclosed_quantity: number;
  price: number;
  trigger_price: number;
  average_price: number;
  filled_quantity: number;
  pending_quantity: number;
  cancelled_quantity: number;
  market_protection: number;
  meta: Record<string, never>;
  tag: string | null;
  tags: string[];
  guid: string;
}

/** An order with every state it has been in, oldest first; its top-level fields are the latest state. */
export type EmulatedOrder = KiteOrder & { history: KiteOrder[] };

/** One fill of an order, in the shape of Kite's trades endpoints. */
export interface KiteTrade {
  trade_id: string;
  order_id: string;
  exchange_order_id: string | null;
  tradingsymbol: string;
  exchange: string;
  instrument_token: number;
  product: Product;
  average_price: number;
  quantity: number;
  transaction_type: TransactionType;
  fill_timestamp: string;
  order_timestamp: string;
  exchange_timestamp: string;
}
