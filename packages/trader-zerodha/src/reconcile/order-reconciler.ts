import type { Logger } from "@engine/core";
import { sleep } from "../errors.js";
import type { KiteGateway } from "../kite/kite-gateway.js";
import { hasTag, type KiteOrderState } from "../kite/order-state.js";
import { backoffDelay } from "../limits/backoff.js";

/** What Kite's order book says about a tag. */
export type TagLookup =
  | { kind: "found"; order: KiteOrderState }
  /** Kite answered, and no order of the day carries the tag. */
  | { kind: "absent" }
  /** Kite could not be asked; the order may or may not exist. */
  | { kind: "unknown"; reason: string };

export interface OrderReconcilerOptions {
  gateway: KiteGateway;
  logger: Logger;
  /** How long to wait after an ambiguous placement before looking (Kite's book may lag). */
  delayMs: number;
  /** Lookups tried before giving up on an answer. */
  attempts?: number;
  random?: () => number;
}

const DEFAULT_ATTEMPTS = 4;

/**
 * Finds an order by its tag in Kite's order book: the only way to learn whether a placement
 * that got no clear answer created an order, since Kite has no idempotency key. Failed lookups
 * are retried with backoff; a lookup that never succeeds is `unknown`, never `absent`, so the
 * caller never places again on a guess.
 */
export class OrderReconciler {
  readonly #o: OrderReconcilerOptions;

  constructor(options: OrderReconcilerOptions) {
    this.#o = options;
  }

  /** Waits the reconcile delay, then looks the tag up: after an ambiguous placement. */
  async afterAmbiguity(tag: string, deadline: number, abort?: AbortSignal): Promise<TagLookup> {
    const wait = Math.min(this.#o.delayMs, deadline - this.#o.gateway.now());
    await sleep(wait, abort);
    return this.findByTag(tag, deadline, abort);
  }

  /** Looks the tag up in today's order book, retrying failed lookups until the deadline. */
  async findByTag(tag: string, deadline: number, abort?: AbortSignal): Promise<TagLookup> {
    const attempts = this.#o.attempts ?? DEFAULT_ATTEMPTS;
    let reason = "no lookup was possible before the deadline";
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (abort?.aborted) return { kind: "unknown", reason: "the lookup was aborted" };
      if (this.#o.gateway.now() >= deadline) break;
      const result = await this.#o.gateway.orders({ deadline, ...(abort ? { abort } : {}) });
      if (result.ok) {
        const matches = result.value.filter((order) => hasTag(order, tag));
        if (matches.length > 1) {
          this.#o.logger.error(
            { tag, order_ids: matches.map((order) => order.order_id) },
            "several Kite orders carry one signal's tag: adopting the first",
          );
        }
        const first = matches[0];
        return first === undefined ? { kind: "absent" } : { kind: "found", order: first };
      }
      reason = `${result.failure.errorType}: ${result.failure.message}`;
      // No point in retrying without a session: the caller reports the state as unknown.
      if (result.failure.kind === "token") break;
      const delay = backoffDelay(attempt, Math.max(50, this.#o.delayMs), 5_000, this.#o.random);
      await sleep(Math.min(delay, deadline - this.#o.gateway.now()), abort);
    }
    return { kind: "unknown", reason };
  }
}
