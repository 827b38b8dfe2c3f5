import type { Side } from "../events/payloads.js";

/**
 * Whether an order only reduces a net position (units; positive long, negative short): it trades
 * against the position and does not cross zero. With no position nothing reduces it.
 */
export function reducesPosition(netPosition: number, side: Side, quantity: number): boolean {
  if (quantity <= 0) return false;
  if (side === "SELL") return netPosition > 0 && quantity <= netPosition;
  return netPosition < 0 && quantity <= -netPosition;
}
