import type { Logger } from "@engine/core";
import { abortError } from "../errors.js";
import { kiteTimestampToEpoch } from "../ist-time.js";
import type { KiteGateway } from "../kite/kite-gateway.js";
import { FINAL_STATUSES, type KiteOrderState } from "../kite/order-state.js";
import type { OrderWakeups } from "./order-wakeups.js";

/** How an order ended at Kite. */
export type OrderEnd =
  /** COMPLETE, or CANCELLED after a partial fill (the filled part stands). */
  | { kind: "filled"; quantity: number; averagePrice: number; filledAt: number | null }
  /** REJECTED, or CANCELLED with nothing filled; the message is Kite's status message. */
  | { kind: "rejected"; message: string }
  /** Kite no longer knows the order (its order book is daily): the end cannot be learnt. */
  | { kind: "vanished"; message: string };

export interface OrderFollowerOptions {
  gateway: KiteGateway;
  wakeups: OrderWakeups;
  /** First poll interval; it grows by half each time, up to the cap. */
  pollIntervalMs: number;
  maxPollIntervalMs?: number;
  /** "Unknown order" answers in a row before the order is given up as vanished. */
  notFoundLimit?: number;
}

const DEFAULT_MAX_POLL_MS = 5_000;
const DEFAULT_NOT_FOUND_LIMIT = 3;
const GROWTH = 1.5;

/** The end an order's latest state shows, or null while it is still working. */
export function orderEndOf(state: KiteOrderState): OrderEnd | null {
  if (!FINAL_STATUSES.has(state.status)) return null;
  const filled = state.filled_quantity ?? 0;
  if (state.status === "COMPLETE" || (state.status === "CANCELLED" && filled > 0)) {
    return {
      kind: "filled",
      // COMPLETE without a filled quantity would be Kite's bug; the order's quantity is the fill.
      quantity: filled > 0 ? filled : (state.quantity ?? 0),
      averagePrice: state.average_price ?? 0,
      // The time of the last change at the exchange, else of the state itself.
      filledAt:
        kiteTimestampToEpoch(state.exchange_update_timestamp) ??
        kiteTimestampToEpoch(state.order_timestamp),
    };
  }
  const message =
    state.status_message?.trim() ||
    (state.status === "CANCELLED"
      ? "the order was cancelled before any fill"
      : "the order was rejected");
  return { kind: "rejected", message };
}

/**
 * Follows one order to its end by polling its history with a growing interval (every request
 * waits for the trader's request rate limit), woken early by a verified postback. While the
 * session is rejected it keeps waiting: the order lives on at Kite, and a rotated token brings
 * the answer. Only an abort ends the wait without an answer.
 */
export class OrderFollower {
  readonly #o: OrderFollowerOptions;

  constructor(options: OrderFollowerOptions) {
    this.#o = options;
  }

  /** Resolves with the order's end; rejects with an `AbortError` when `abort` fires first. */
  async follow(orderId: string, abort: AbortSignal, log: Logger): Promise<OrderEnd> {
    const cap = this.#o.maxPollIntervalMs ?? DEFAULT_MAX_POLL_MS;
    const notFoundLimit = this.#o.notFoundLimit ?? DEFAULT_NOT_FOUND_LIMIT;
    let interval = this.#o.pollIntervalMs;
    let notFound = 0;
    for (;;) {
      if (abort.aborted) throw abortError(`following order ${orderId}`);
      const history = await this.#o.gateway.orderHistory(orderId, { abort });
      if (abort.aborted) throw abortError(`following order ${orderId}`);
      if (history.ok) {
        notFound = 0;
        const latest = history.value.at(-1);
        const end = latest === undefined ? null : orderEndOf(latest);
        if (end !== null) return end;
      } else if (history.failure.kind === "rejected") {
        // "Couldn't find that order_id": yesterday's order after a restart, most likely.
        notFound += 1;
        if (notFound >= notFoundLimit) {
          return {
            kind: "vanished",
            message: `Kite no longer knows order ${orderId} (${history.failure.message}); its end is unknown: check the account`,
          };
        }
      } else if (history.failure.kind === "token") {
        log.debug({ order_id: orderId }, "waiting for a new Kite access token to follow the order");
      }
      const reason = await this.#o.wakeups.wait(orderId, interval, abort);
      // A postback means something changed: look again soon while it settles.
      interval =
        reason === "woken" ? this.#o.pollIntervalMs : Math.min(cap, Math.round(interval * GROWTH));
    }
  }
}
