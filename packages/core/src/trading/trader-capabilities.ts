import { CapabilityError } from "../errors.js";
import type {
  CancelOutcome,
  OrderQuery,
  OrderRef,
  OrderStatusBatch,
} from "../orders/order-status-report.js";
import type { Trader } from "./trader.js";

/**
 * The commands and queries a trader declared, bound to it; null where it declared none. The
 * engine calls a trader's optional methods only through this, so what it does depends on the
 * declaration, never on which methods happen to exist.
 */
export interface TraderOperations {
  /** `Trader.queryOrder`, when the trader declared `queryByClientOrderId`. */
  queryOrder: ((ref: OrderRef) => Promise<OrderQuery>) | null;
  /** `Trader.orderStatusReports`, when it declared `batchStatusReports`. */
  orderStatusReports: ((refs: readonly OrderRef[]) => Promise<OrderStatusBatch>) | null;
  /** `Trader.cancelOrder`, when it declared `cancel`. */
  cancelOrder: ((ref: OrderRef) => Promise<CancelOutcome>) | null;
}

/**
 * The operations a trader declared in `capabilities`.
 * @throws CapabilityError when a declared capability's method is missing, or when an order the
 *   trader may answer `placed` could never be followed (`followsOrders` without
 *   `queryByClientOrderId`)
 */
export function traderOperations(trader: Trader): TraderOperations {
  const declared = trader.capabilities;
  const namespace = trader.executionMode;
  const method = <K extends "queryOrder" | "orderStatusReports" | "cancelOrder">(
    name: K,
    capability: keyof typeof declared,
  ): NonNullable<Trader[K]> | null => {
    if (declared[capability] !== true) return null;
    const found = trader[name];
    if (found === undefined) {
      throw new CapabilityError(namespace, `declares ${capability} but has no ${name}()`);
    }
    return found.bind(trader) as NonNullable<Trader[K]>;
  };
  if (declared.followsOrders && !declared.queryByClientOrderId) {
    throw new CapabilityError(
      namespace,
      "declares followsOrders without queryByClientOrderId: its orders could not be followed",
    );
  }
  return {
    queryOrder: method("queryOrder", "queryByClientOrderId"),
    orderStatusReports: method("orderStatusReports", "batchStatusReports"),
    cancelOrder: method("cancelOrder", "cancel"),
  };
}

/**
 * Checks that a trader can run on a live namespace: every submission that got no clear answer
 * must be resolvable at the broker, so it must find orders by client order id.
 * @throws CapabilityError otherwise
 */
export function assertLiveCapable(trader: Trader): void {
  traderOperations(trader);
  if (!trader.capabilities.queryByClientOrderId) {
    throw new CapabilityError(
      trader.executionMode,
      "a live trader must declare queryByClientOrderId: an ambiguous submission could otherwise never be resolved",
    );
  }
}
