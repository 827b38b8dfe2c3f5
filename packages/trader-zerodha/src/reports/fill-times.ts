import { kiteTimestampToEpoch } from "../ist-time.js";
import type { KiteTrade } from "../kite/order-state.js";

/** Epoch ms of each order's last fill among `trades` (Kite's `fill_timestamp`, IST). */
export function lastFillTimes(trades: readonly KiteTrade[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const trade of trades) {
    const at =
      kiteTimestampToEpoch(trade.fill_timestamp) ?? kiteTimestampToEpoch(trade.exchange_timestamp);
    if (at === null) continue;
    const known = last.get(trade.order_id);
    if (known === undefined || at > known) last.set(trade.order_id, at);
  }
  return last;
}

/** Orders whose last fill time is remembered; the oldest are forgotten past it. */
const DEFAULT_CAPACITY = 20_000;

/**
 * The last fill time of orders that ended, learnt once from Kite's trades and kept, so following
 * many orders fetches the day's trades only when an order ended since the last round. Only ended
 * orders are remembered: an open order's last fill can still change.
 */
export class FillTimeCache {
  readonly #times = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  get(orderId: string): number | undefined {
    return this.#times.get(orderId);
  }

  /** Remembers the last fill of an order that ended. */
  remember(orderId: string, at: number): void {
    this.#times.delete(orderId);
    this.#times.set(orderId, at);
    if (this.#times.size > this.#capacity) {
      const oldest = this.#times.keys().next();
      if (!oldest.done) this.#times.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#times.size;
  }
}
