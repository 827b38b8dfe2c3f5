import { createHash, timingSafeEqual } from "node:crypto";

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

/** Whether a postback's checksum is right, compared in constant time. */
export function verifyPostbackChecksum(
  orderId: string,
  orderTimestamp: string,
  checksum: string,
  apiSecret: string,
): boolean {
  const expected = Buffer.from(postbackChecksum(orderId, orderTimestamp, apiSecret), "hex");
  const given = /^[0-9a-fA-F]{64}$/.test(checksum) ? Buffer.from(checksum, "hex") : null;
  return given !== null && timingSafeEqual(expected, given);
}
