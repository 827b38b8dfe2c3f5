import { createHash } from "node:crypto";

/** Kite accepts at most 20 characters in a tag, and only letters and digits are safe. */
export const MAX_TAG_LENGTH = 20;

/**
 * The Kite order tag of a signal: `e` and the first 19 hex digits of
 * `sha256("zerodha:" + signal id)`. Kite has no idempotency key, so the tag is the only handle
 * for finding an order after a timeout or a crash; deriving it from the signal's event id gives
 * every attempt (and every engine instance) the same tag for the same signal.
 */
export function orderTag(signalId: string): string {
  const digest = createHash("sha256").update(`zerodha:${signalId}`).digest("hex");
  return `e${digest.slice(0, MAX_TAG_LENGTH - 1)}`;
}
