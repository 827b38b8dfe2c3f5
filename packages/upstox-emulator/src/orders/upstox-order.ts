import { z } from "zod";

/**
 * Statuses the emulator writes, as Upstox spells them: lower case, with spaces. The last three
 * are final.
 */
export type UpstoxStatus =
  | "put order req received"
  | "validation pending"
  | "open pending"
  | "open"
  | "trigger pending"
  | "cancel pending"
  | "complete"
  | "rejected"
  | "cancelled";

export const FINAL_UPSTOX_STATUSES: ReadonlySet<UpstoxStatus> = new Set([
  "complete",
  "rejected",
  "cancelled",
]);

/**
 * The body of `POST /v3/order/place` as Upstox reads it (snake_case JSON). Every field but `tag`,
 * `slice` and `market_protection` is required, as on Upstox.
 */
export const PlaceOrderBodySchema = z.object({
  quantity: z.number().int().positive(),
  product: z.enum(["I", "D", "MTF"]),
  validity: z.enum(["DAY", "IOC"]),
  price: z.number().nonnegative(),
  instrument_token: z.string().min(1),
  order_type: z.enum(["MARKET", "LIMIT", "SL", "SL-M"]),
  transaction_type: z.enum(["BUY", "SELL"]),
  disclosed_quantity: z.number().int().nonnegative(),
  trigger_price: z.number().nonnegative(),
  is_amo: z.boolean(),
  tag: z.string().optional(),
  slice: z.boolean().optional(),
  market_protection: z.number().int().min(-1).max(25).optional(),
});
export type PlaceOrderBody = z.infer<typeof PlaceOrderBodySchema>;

/**
 * One state of an order as Upstox returns it from `/v2/order/details`, `/v2/order/history` and
 * `/v2/order/retrieve-all`. Ids are strings; timestamps `yyyy-MM-dd HH:mm:ss` in IST, no zone.
 */
export interface UpstoxOrderRow {
  exchange: string;
  product: PlaceOrderBody["product"];
  price: number;
  quantity: number;
  status: UpstoxStatus;
  tag: string | null;
  validity: PlaceOrderBody["validity"];
  average_price: number;
  disclosed_quantity: number;
  exchange_order_id: string | null;
  exchange_timestamp: string | null;
  instrument_token: string;
  is_amo: boolean;
  status_message: string | null;
  status_message_raw: string | null;
  order_id: string;
  order_request_id: string;
  order_type: PlaceOrderBody["order_type"];
  parent_order_id: string | null;
  trading_symbol: string;
  order_timestamp: string;
  filled_quantity: number;
  pending_quantity: number;
  transaction_type: PlaceOrderBody["transaction_type"];
  trigger_price: number;
  order_ref_id: string;
  variety: string;
}

/** An order with every state it passed through, oldest first; top-level fields are the latest. */
export type EmulatedUpstoxOrder = UpstoxOrderRow & {
  history: UpstoxOrderRow[];
  market_protection: number | null;
};
