import type { KnownErrorCode, Logger } from "@engine/core";
import type { KiteGateway } from "../kite/kite-gateway.js";
import { type OrderSpec, orderParams } from "../kite/order-params.js";
import type { OrderReconciler } from "../reconcile/order-reconciler.js";

/** How a placement ended: an order at Kite (placed now or found by its tag), or a failure. */
export type PlacementResult =
  | { kind: "placed"; orderId: string; adopted: boolean }
  | { kind: "failed"; code: KnownErrorCode; message: string };

export interface OrderPlacerOptions {
  gateway: KiteGateway;
  reconciler: OrderReconciler;
  /** The client's timeout: a placement is started only if its answer can come within budget. */
  timeoutMs: number;
  /** How long one signal may take, waiting for a slot and reconciling included. */
  budgetMs: number;
  /** Placements tried when Kite confirms that the previous one created nothing. */
  maxAttempts?: number;
}

const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Places one order, and when Kite gives no clear answer (timeout, dropped connection, 5xx, 429,
 * a 200 that is not JSON) finds out what happened before doing anything else: the order is
 * looked up by its tag and adopted when found; it is placed again only when Kite's order book
 * confirms that it does not exist, and at most `maxAttempts` times in all. When even that cannot
 * be learnt, the result says the state is unknown rather than risk a second order.
 *
 * Everything happens within the budget, so the engine's own execution timeout never fires
 * while an order might still be placed behind its back.
 */
export class OrderPlacer {
  readonly #o: OrderPlacerOptions;

  constructor(options: OrderPlacerOptions) {
    this.#o = options;
  }

  async place(spec: OrderSpec, log: Logger, abort?: AbortSignal): Promise<PlacementResult> {
    const { gateway, reconciler, timeoutMs } = this.#o;
    const deadline = gateway.now() + this.#o.budgetMs;
    const maxAttempts = this.#o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      const outcome = await gateway.placeOrder(orderParams(spec), deadline - timeoutMs);
      switch (outcome.kind) {
        case "accepted":
          return { kind: "placed", orderId: outcome.orderId, adopted: false };
        case "rejected":
          return { kind: "failed", code: "BROKER_REJECTED", message: outcome.message };
        case "token":
          return { kind: "failed", code: "TRADER_UNAVAILABLE", message: outcome.message };
        case "throttled":
          return {
            kind: "failed",
            code: outcome.reason === "daily-cap" ? "BROKER_REJECTED" : "BROKER_UNAVAILABLE",
            message: outcome.message,
          };
        case "ambiguous":
          break;
      }
      log.warn(
        { attempt, error_type: outcome.errorType, message: outcome.message },
        "placement got no clear answer: looking the order up by its tag",
      );
      let lookup = await reconciler.afterAmbiguity(spec.tag, deadline, abort);
      // An unanswered request may still be working its way through Kite: absence must be seen
      // twice, a reconcile delay apart, before the order is placed again.
      if (lookup.kind === "absent" && outcome.unanswered === true) {
        lookup = await reconciler.afterAmbiguity(spec.tag, deadline, abort);
      }
      if (lookup.kind === "found") {
        log.info({ order_id: lookup.order.order_id }, "adopting the order found by its tag");
        return { kind: "placed", orderId: lookup.order.order_id, adopted: true };
      }
      if (lookup.kind === "unknown") {
        return {
          kind: "failed",
          code: "BROKER_UNAVAILABLE",
          message: `order state unknown: Kite gave no clear answer to the placement (${outcome.message}) and the order book could not be read (${lookup.reason}); check Kite for tag ${spec.tag} before trading this signal again`,
        };
      }
      if (attempt >= maxAttempts || deadline - gateway.now() <= timeoutMs) {
        return {
          kind: "failed",
          code: "BROKER_UNAVAILABLE",
          message: `Kite did not take the order after ${attempt} attempt(s) (last: ${outcome.message}); its order book confirms that no order was created`,
        };
      }
      log.info({ attempt }, "Kite confirms no order exists: placing again");
    }
  }
}
