import { createHash } from "node:crypto";

/** Kite's postback checksum: hex SHA-256 of `order_id + order_timestamp + api_secret`. */
export function postbackChecksum(
  orderId: string,
  orderTimestamp: string,
  apiSecret: string,
): string {
  return createHash("sha256")
    .update(orderId + orderTimestamp + apiSecret)
    .digest("hex");
}
