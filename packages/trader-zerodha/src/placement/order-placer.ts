import type { KnownErrorCode, Logger } from "@engine/core";
import type { KiteGateway } from "../kite/kite-gateway.js";
import { type OrderSpec, orderParams } from "../kite/order-params.js";

/** How one placement ended, in the contract's terms. */
export type PlacementResult =
  | { kind: "placed"; orderId: string }
  | { kind: "failed"; code: KnownErrorCode; message: string }
  /** No clear answer: the order may or may not exist; the engine finds out by query. */
  | { kind: "unknown"; reason: string };

export interface OrderPlacerOptions {
  gateway: KiteGateway;
  /** How long a placement may wait for a slot of the order rate limiter (`ZERODHA_MAX_QUEUE_MS`). */
  maxQueueMs: number;
}

/**
 * Places one order with at most one request, and says what Kite's answer means: an order id is
 * `placed`; an explicit refusal by Kite is `failed` (`BROKER_REJECTED`, or `TRADER_UNAVAILABLE`
 * for a rejected token); a refusal on the client, before anything was sent, is `failed`
 * (`RATE_LIMITED`, or `TRADER_UNAVAILABLE` when the engine withdrew the submission); anything
 * else (a timeout, a dropped connection, a 5xx, a 429, a 200 that is not Kite's success, a
 * `GeneralException`, `NetworkException` or `DataException`) is `unknown`. It never places again
 * and never looks the order up: the engine decides that, after Kite's order book had time to show
 * the order.
 */
export class OrderPlacer {
  readonly #o: OrderPlacerOptions;

  constructor(options: OrderPlacerOptions) {
    this.#o = options;
  }

  async place(spec: OrderSpec, abort: AbortSignal, log: Logger): Promise<PlacementResult> {
    const outcome = await this.#o.gateway.placeOrder(orderParams(spec), {
      maxQueueMs: this.#o.maxQueueMs,
      abort,
    });
    switch (outcome.kind) {
      case "accepted":
        return { kind: "placed", orderId: outcome.orderId };
      case "rejected":
        return { kind: "failed", code: "BROKER_REJECTED", message: outcome.message };
      case "token":
        return { kind: "failed", code: "TRADER_UNAVAILABLE", message: outcome.message };
      case "throttled":
        return { kind: "failed", code: "RATE_LIMITED", message: outcome.message };
      case "aborted":
        return {
          kind: "failed",
          code: "TRADER_UNAVAILABLE",
          message:
            "the submission was withdrawn before it was sent (the engine's abort, or the trader shutting down); no order was sent",
        };
      case "ambiguous":
        log.warn(
          { error_type: outcome.errorType, message: outcome.message },
          "placement got no clear answer: the order may or may not exist",
        );
        return {
          kind: "unknown",
          reason: `Kite gave no clear answer to the placement (${outcome.errorType}: ${outcome.message}); the order may exist with tag ${spec.tag}`,
        };
    }
  }
}
