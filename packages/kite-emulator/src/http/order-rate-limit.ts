import type { EmulatorState } from "../emulator-state.js";
import { kiteError, type Reply, textReply } from "./reply.js";

/** Kite's 429, as JSON NetworkException or as the edge's plain text. */
export function tooManyRequests(format: "json" | "text"): Reply {
  return format === "text"
    ? textReply(429, "Too Many Requests")
    : kiteError(429, "NetworkException", "Too many requests");
}

/**
 * Takes a slot in the order windows that placing, modifying and cancelling share, or returns the
 * 429 to answer when they are full.
 */
export function overOrderRateLimit(state: EmulatorState, now: number): Reply | undefined {
  if (state.limiter.tryAcquire(now)) return undefined;
  state.stats.rateLimited();
  return tooManyRequests(state.options.rateLimitFormat);
}
