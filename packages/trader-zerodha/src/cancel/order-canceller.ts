import type { CancelOutcome, Logger, OrderRef } from "@engine/core";
import { isUnknownOrder, type KiteFailure } from "../kite/kite-errors.js";
import type { KiteGateway } from "../kite/kite-gateway.js";
import { isFinalKiteStatus } from "../reports/kite-order-report.js";

export interface OrderCancellerOptions {
  gateway: KiteGateway;
  logger: Logger;
  /** How long a cancel may wait for a slot of the order rate limiter (`ZERODHA_MAX_QUEUE_MS`). */
  maxQueueMs: number;
}

/** Kite refusing a cancel because the order already ended ("... as it is COMPLETE."). */
const ALREADY_ENDED = /\b(?:is|already)\s+(?:complete|completed|cancelled|canceled|rejected)\b/i;

/**
 * Asks Kite to cancel a regular order. A cancel only asks: the order's end still comes from status
 * reports, since it may fill before the cancel reaches the exchange.
 */
export class OrderCanceller {
  readonly #o: OrderCancellerOptions;

  constructor(options: OrderCancellerOptions) {
    this.#o = options;
  }

  /**
   * `requested` when Kite took the cancel; `too_late` when the order had already ended;
   * `failed` otherwise, `retryable` unless asking again cannot help (no Kite order id, an order
   * Kite does not know).
   */
  async cancel(ref: OrderRef): Promise<CancelOutcome> {
    const { orderId } = ref;
    if (orderId === null) {
      return {
        kind: "failed",
        retryable: false,
        reason: `no Kite order id is known for client order id ${ref.clientOrderId}: a cancel needs one (query the order first)`,
      };
    }
    const log = this.#o.logger.child({ order_id: orderId, client_order_id: ref.clientOrderId });
    const sent = await this.#o.gateway.cancelOrder(orderId, { maxQueueMs: this.#o.maxQueueMs });
    switch (sent.kind) {
      case "sent":
        log.info({}, "cancel requested");
        return { kind: "requested" };
      case "throttled":
        return { kind: "failed", retryable: true, reason: sent.message };
      case "token":
        return {
          kind: "failed",
          retryable: true,
          reason: `${sent.message}; no cancel was sent`,
        };
      case "ambiguous":
        return {
          kind: "failed",
          retryable: true,
          reason: `Kite gave no clear answer to the cancel (${sent.errorType}: ${sent.message}): ${
            sent.unanswered === true ? "it timed out or was cut off, and " : ""
          }the order may have been cancelled all the same; the next status report tells`,
        };
      case "rejected":
        return this.#refused(orderId, sent, log);
    }
  }

  /** Kite refused the cancel: already ended (`too_late`), unknown order, or not now. */
  async #refused(orderId: string, refusal: KiteFailure, log: Logger): Promise<CancelOutcome> {
    if (ALREADY_ENDED.test(refusal.message)) {
      return { kind: "too_late", reason: refusal.message };
    }
    if (isUnknownOrder(refusal)) {
      return {
        kind: "failed",
        retryable: false,
        reason: `Kite does not know order ${orderId} (${refusal.message})`,
      };
    }
    // Kite's words vary: its history says whether the order has ended.
    const history = await this.#o.gateway.orderHistory(orderId, { urgent: true });
    log.warn({ error_type: refusal.errorType, message: refusal.message }, "Kite refused a cancel");
    if (!history.ok) {
      return {
        kind: "failed",
        retryable: true,
        reason: `Kite refused the cancel (${refusal.errorType}: ${refusal.message}) and the order's history could not be read (${history.failure.errorType}: ${history.failure.message})`,
      };
    }
    const latest = history.value.at(-1);
    if (latest !== undefined && isFinalKiteStatus(latest.status)) {
      return {
        kind: "too_late",
        reason: `the order is already ${latest.status} (${refusal.message})`,
      };
    }
    return {
      kind: "failed",
      retryable: true,
      reason: `Kite refused the cancel of an order still working (${refusal.errorType}: ${refusal.message})`,
    };
  }
}
