import { z } from "zod";

const Quantity = z
  .union([z.number(), z.string()])
  .transform(Number)
  .pipe(z.number().finite().nonnegative())
  .catch(0);
const Price = z
  .union([z.number(), z.string()])
  .nullable()
  .transform((value) => (value === null ? 0 : Number(value)))
  .pipe(z.number().finite())
  .catch(0);

/**
 * One state of a Kite order, as `getOrders()` and `getOrderHistory()` return it, reduced to what
 * the trader reads. `order_id` and `status` must be there; the rest is read leniently, since a
 * missing number must not hide an order that exists. Timestamps stay `unknown`: the client has
 * turned them into `Date`s in the host's zone (see `kiteTimestampToEpoch`).
 */
export const KiteOrderStateSchema = z.object({
  order_id: z.union([z.string().min(1), z.number()]).transform(String),
  status: z.string(),
  status_message: z.string().nullable().optional().catch(null),
  tag: z.string().nullable().optional().catch(null),
  tags: z.array(z.string()).nullable().optional().catch(null),
  quantity: Quantity.optional(),
  filled_quantity: Quantity.optional(),
  average_price: Price.optional(),
  price: Price.optional(),
  order_type: z.string().nullable().optional().catch(null),
  order_timestamp: z.unknown().optional(),
  exchange_timestamp: z.unknown().optional(),
  exchange_update_timestamp: z.unknown().optional(),
});
export type KiteOrderState = z.infer<typeof KiteOrderStateSchema>;

/** A list of order states (the order book, or one order's history, oldest first). */
export const KiteOrderListSchema = z.array(KiteOrderStateSchema);

/** Whether an order carries the tag, in `tag` or in `tags`. */
export function hasTag(order: KiteOrderState, tag: string): boolean {
  return order.tag === tag || (order.tags ?? []).includes(tag);
}

/**
 * One fill, as `getTrades()` and `getOrderTrades()` return it, reduced to what the trader reads:
 * whose it is and when it happened (`fill_timestamp`, turned into a host-zone `Date` by the
 * client, like the order timestamps).
 */
export const KiteTradeSchema = z.object({
  order_id: z.union([z.string().min(1), z.number()]).transform(String),
  fill_timestamp: z.unknown().optional(),
  exchange_timestamp: z.unknown().optional(),
});
export type KiteTrade = z.infer<typeof KiteTradeSchema>;

/** A list of trades. */
export const KiteTradeListSchema = z.array(KiteTradeSchema);

/** The successful answer of a placement or a cancel: `{ order_id }`. */
export const OrderIdResponseSchema = z.object({
  order_id: z.union([z.string().min(1), z.number()]).transform(String),
});

/** The answer of `getProfile()`: only that it is a profile matters. */
export const ProfileSchema = z.object({ user_id: z.string() });
