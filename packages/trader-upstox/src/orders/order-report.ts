import type { BrokerOrderStatus, OrderStatusReport } from "@engine/core";
import { z } from "zod";

/** An Upstox timestamp: `yyyy-MM-dd HH:mm:ss`, IST, no zone. */
const IST_STAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;

/** An Upstox timestamp as ISO-8601 with IST's offset; null when absent or malformed. */
export function istToIso(stamp: string | null | undefined): string | null {
  const match = stamp === null || stamp === undefined ? null : IST_STAMP.exec(stamp);
  return match === null ? null : `${match[1]}T${match[2]}+05:30`;
}

const Money = z.union([z.number(), z.string()]).transform(Number).pipe(z.number().finite());
const Count = z
  .union([z.number(), z.string()])
  .transform(Number)
  .pipe(z.number().int().nonnegative());

/** The fields of an Upstox order row the trader reads (snake_case, as `response.body` has them). */
export const UpstoxOrderRowSchema = z.looseObject({
  order_id: z.union([z.string().min(1), z.number()]).transform(String),
  status: z.string(),
  tag: z.string().nullish(),
  quantity: Count,
  filled_quantity: Count.default(0),
  average_price: Money.nullish(),
  price: Money.nullish(),
  order_type: z.string().nullish(),
  status_message: z.string().nullish(),
  order_timestamp: z.string().nullish(),
  exchange_timestamp: z.string().nullish(),
});
export type UpstoxOrderRow = z.output<typeof UpstoxOrderRowSchema>;

/** `{status: "success", data: [rows]}` of history and retrieve-all; bad rows are dropped. */
export function rowsOf(body: unknown): UpstoxOrderRow[] {
  const data = z.object({ data: z.array(z.unknown()).nullable() }).safeParse(body);
  if (!data.success) return [];
  const rows: UpstoxOrderRow[] = [];
  for (const raw of data.data.data ?? []) {
    const row = UpstoxOrderRowSchema.safeParse(raw);
    if (row.success) rows.push(row.data);
  }
  return rows;
}

/**
 * Upstox's lower-case status in the engine's words. Final: `complete`, `rejected`, `cancelled`,
 * `cancelled after market order`; any other string is a working order (partially filled when
 * some of it is).
 */
export function brokerStatus(row: UpstoxOrderRow): BrokerOrderStatus {
  switch (row.status.trim().toLowerCase()) {
    case "complete":
      return "filled";
    case "rejected":
      return "rejected";
    case "cancelled":
    case "cancelled after market order":
      return "cancelled";
    default:
      return row.filled_quantity > 0 ? "partially_filled" : "accepted";
  }
}

/** A status report of an Upstox order row; null for a row without a tag (not the engine's). */
export function reportOf(row: UpstoxOrderRow): OrderStatusReport | null {
  if (!row.tag) return null;
  const filled = Math.min(row.filled_quantity, row.quantity);
  const limited = row.order_type === "LIMIT" || row.order_type === "SL";
  return {
    clientOrderId: row.tag,
    orderId: row.order_id,
    status: brokerStatus(row),
    quantity: row.quantity,
    filledQuantity: filled,
    averagePrice: filled > 0 && row.average_price ? row.average_price : null,
    limitPrice: limited && row.price && row.price > 0 ? row.price : null,
    updatedAt: istToIso(row.exchange_timestamp) ?? istToIso(row.order_timestamp),
    message: row.status_message ?? null,
    fees: null,
  };
}
