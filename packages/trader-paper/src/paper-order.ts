import type { OrderStatusReport, Side } from "@engine/core";

/** Where a paper order stands: resting on the simulated book, or ended. */
export type PaperOrderStatus = "accepted" | "filled" | "cancelled";

/** The order type the paper trader places (`PAPER_ORDER_TYPE`). */
export type PaperOrderType = "MARKET" | "LIMIT";

/**
 * One paper order. Mutable: the trader changes it in place when it fills or is cancelled, so the
 * book's indexes and the repository's write queue see one object per order. Paper orders fill
 * whole or not at all.
 */
export interface PaperOrder {
  /** The engine's client order id, also the order's id (paper has no broker id of its own). */
  clientOrderId: string;
  instrumentToken: number;
  side: Side;
  /** Units: the signal's `validated_quantity`. */
  quantity: number;
  /** On the tick grid; null for a market order. */
  limitPrice: number | null;
  /** Adverse basis points applied at the fill: the slippage plus the signal's random spread. */
  slippageBps: number;
  status: PaperOrderStatus;
  /** The fill price, once filled. */
  averagePrice: number | null;
  /** Fees of the fill, once filled. */
  fees: number | null;
  /** When it was submitted, epoch ms. */
  createdAt: number;
  /** When it last changed (for a filled order: the fill time), epoch ms. */
  updatedAt: number;
  /** Why it ended, when it was cancelled. */
  message: string | null;
}

/**
 * The order id of a paper order: `paper_` and its client order id, so a simulated order is never
 * taken for a broker's (the platform has always told them apart by that prefix).
 */
export function paperOrderId(clientOrderId: string): string {
  return `${PAPER_ORDER_ID_PREFIX}${clientOrderId}`;
}

/** The client order id inside a paper order id, or the value itself when it is not one. */
export function clientOrderIdOf(orderId: string): string {
  return orderId.startsWith(PAPER_ORDER_ID_PREFIX)
    ? orderId.slice(PAPER_ORDER_ID_PREFIX.length)
    : orderId;
}

const PAPER_ORDER_ID_PREFIX = "paper_";

/** The order status report of a paper order. */
export function paperOrderReport(order: PaperOrder): OrderStatusReport {
  return {
    clientOrderId: order.clientOrderId,
    orderId: paperOrderId(order.clientOrderId),
    status: order.status,
    quantity: order.quantity,
    filledQuantity: order.status === "filled" ? order.quantity : 0,
    averagePrice: order.averagePrice,
    limitPrice: order.limitPrice,
    updatedAt: new Date(order.updatedAt).toISOString(),
    message: order.message,
    fees: order.fees,
  };
}
