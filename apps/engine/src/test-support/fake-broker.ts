import {
  type CancelOutcome,
  failedResult,
  type LastPrice,
  type OrderQuery,
  type OrderRef,
  type OrderStatusBatch,
  type OrderStatusReport,
  type SignalToExecute,
  type SubmitContext,
  type SubmitResult,
  type Trader,
  type TraderCapabilities,
  type TraderHealth,
} from "@engine/core";

/** How the fake broker treats one submission. */
export interface SubmissionScript {
  /** Milliseconds before the answer. */
  delayMs?: number;
  /** Milliseconds the submission waits before it is sent, or withdrawn (a rate limiter's queue). */
  queueMs?: number;
  /** Whether the order is created at the broker (default: yes, unless the answer is `failed`). */
  create?: boolean;
  /** The answer: `placed` (default), `unknown` (no clear answer), `failed` (refused), `throw`. */
  answer?: "placed" | "unknown" | "failed" | "throw";
}

interface FakeOrder {
  clientOrderId: string;
  orderId: string;
  quantity: number;
  filled: number;
  price: number;
  limitPrice: number | null;
  status: OrderStatusReport["status"];
  /** Reports seen before it fills (`null`: it rests until told). */
  fillAfterLooks: number | null;
  looks: number;
  visibleAt: number;
}

/**
 * A small broker and its trader in one, for the execution service's tests: every submission that
 * reaches it is counted per client order id (`sends`), orders fill after a number of status
 * looks (or rest until `fill`), answers can be delayed, ambiguous or thrown, its order book can lag
 * (`bookLagMs`), and it cancels on request.
 */
export class FakeBroker implements Trader {
  readonly executionMode: string;
  readonly capabilities: TraderCapabilities;
  /** The first order of each client order id. */
  readonly orders = new Map<string, FakeOrder>();
  /** Orders created for a client order id that had one already: duplicates, oldest first. */
  readonly duplicates: FakeOrder[] = [];
  /** Submissions that reached the broker, by client order id (created or not). */
  readonly sends = new Map<string, number>();
  /** Client order ids in the order their submissions reached the broker. */
  readonly sendOrder: string[] = [];
  readonly cancels: string[] = [];
  /** Submissions answered "withdrawn": the engine's abort had fired when they would have gone. */
  withdrawals = 0;
  script: (clientOrderId: string, attempt: number) => SubmissionScript = () => ({});
  /** Status looks before a new order fills; null: it rests until `fill`. */
  fillAfterLooks: number | null = 1;
  /** New orders are missing from status answers for this long, ms. */
  bookLagMs = 0;
  #nextId = 1;
  #ready = false;

  constructor(namespace = "fakebroker", capabilities: Partial<TraderCapabilities> = {}) {
    this.executionMode = namespace;
    this.capabilities = {
      followsOrders: true,
      queryByClientOrderId: true,
      batchStatusReports: true,
      cancel: true,
      orderVisibilityMs: 200,
      statusPollIntervalMs: 20,
      ...capabilities,
    };
  }

  async initialize(): Promise<boolean> {
    this.#ready = true;
    return true;
  }

  async shutdown(): Promise<void> {
    this.#ready = false;
  }

  health(): TraderHealth {
    return this.#ready ? { status: "ready" } : { status: "unavailable", reason: "stopped" };
  }

  /** Total sends, all client order ids. */
  get totalSends(): number {
    let total = 0;
    for (const count of this.sends.values()) total += count;
    return total;
  }

  async executeOrder(
    signal: SignalToExecute,
    lastPrice: LastPrice,
    context: SubmitContext,
  ): Promise<SubmitResult> {
    const id = context.clientOrderId;
    const attempt = (this.sends.get(id) ?? 0) + 1;
    const script = this.script(id, attempt);
    if (script.queueMs) await queued(script.queueMs, context.abort);
    // As the real traders answer a withdrawn submission.
    if (context.abort.aborted) {
      this.withdrawals += 1;
      return this.#failed(signal, "the engine withdrew the submission", "TRADER_UNAVAILABLE");
    }
    this.sends.set(id, attempt);
    this.sendOrder.push(id);
    const answer = script.answer ?? "placed";
    const create = script.create ?? answer !== "failed";
    let order: FakeOrder | undefined;
    if (create) {
      order = {
        clientOrderId: id,
        orderId: `fb_${this.#nextId++}`,
        quantity: signal.data.validated_quantity,
        filled: 0,
        price: lastPrice?.lastPrice ?? signal.data.validated_price ?? 100,
        limitPrice: signal.data.validated_price,
        status: "accepted",
        fillAfterLooks: this.fillAfterLooks,
        looks: 0,
        visibleAt: Date.now() + this.bookLagMs,
      };
      if (this.orders.has(id)) this.duplicates.push(order);
      else this.orders.set(id, order);
    }
    if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
    switch (answer) {
      case "throw":
        throw new Error("the broker's client threw");
      case "unknown":
        return { kind: "unknown", reason: "502 Bad Gateway" };
      case "failed":
        return this.#failed(signal, "Insufficient funds");
      default: {
        if (!order) return { kind: "unknown", reason: "no order created" };
        const original = signal.data.original_signal;
        return {
          kind: "placed",
          payload: {
            order_id: order.orderId,
            instrument_token: original.instrument_token,
            signal_type: original.signal_type,
            quantity: order.quantity,
            price: order.limitPrice,
            timestamp: new Date().toISOString(),
            broker: this.executionMode,
            status: "PLACED",
            strategy_id: original.strategy_id,
            execution_mode: this.executionMode,
          },
        };
      }
    }
  }

  /** By its order id when the ref has one (never lagging), else the first listed by client order id. */
  async queryOrder(ref: OrderRef): Promise<OrderQuery> {
    const order =
      ref.orderId === null
        ? this.#listed(ref.clientOrderId)[0]
        : this.#ordersOf(ref.clientOrderId).find((one) => one.orderId === ref.orderId);
    return order ? { kind: "found", report: this.#look(order) } : { kind: "absent" };
  }

  /** Every listed order of each asked client order id (Kite's book: duplicates included). */
  async orderStatusReports(refs: readonly OrderRef[]): Promise<OrderStatusBatch> {
    const reports = refs.flatMap((ref) =>
      this.#listed(ref.clientOrderId).map((order) => this.#look(order)),
    );
    return { kind: "ok", reports };
  }

  async cancelOrder(ref: OrderRef): Promise<CancelOutcome> {
    const order = this.orders.get(ref.clientOrderId);
    this.cancels.push(ref.clientOrderId);
    if (!order) return { kind: "failed", reason: "unknown order", retryable: false };
    if (order.status !== "accepted" && order.status !== "partially_filled") {
      return { kind: "too_late", reason: order.status };
    }
    order.status = "cancelled";
    return { kind: "requested" };
  }

  /** Fills (part of) a resting order now. */
  fill(clientOrderId: string, quantity?: number): void {
    const order = this.orders.get(clientOrderId);
    if (!order) throw new Error(`no order ${clientOrderId}`);
    order.filled = Math.min(order.quantity, order.filled + (quantity ?? order.quantity));
    order.status = order.filled >= order.quantity ? "filled" : "partially_filled";
  }

  #ordersOf(clientOrderId: string): FakeOrder[] {
    const first = this.orders.get(clientOrderId);
    if (!first) return [];
    return [first, ...this.duplicates.filter((one) => one.clientOrderId === clientOrderId)];
  }

  /** The orders of a client order id its lagging book lists now. */
  #listed(clientOrderId: string): FakeOrder[] {
    const now = Date.now();
    return this.#ordersOf(clientOrderId).filter((order) => now >= order.visibleAt);
  }

  #look(order: FakeOrder): OrderStatusReport {
    order.looks += 1;
    if (
      order.status === "accepted" &&
      order.fillAfterLooks !== null &&
      order.looks > order.fillAfterLooks
    ) {
      order.filled = order.quantity;
      order.status = "filled";
    }
    return {
      clientOrderId: order.clientOrderId,
      orderId: order.orderId,
      status: order.status,
      quantity: order.quantity,
      filledQuantity: order.filled,
      averagePrice: order.filled > 0 ? order.price : null,
      limitPrice: order.limitPrice,
      updatedAt: new Date().toISOString(),
      message: null,
      fees: null,
    };
  }

  #failed(
    signal: SignalToExecute,
    message: string,
    code: "BROKER_REJECTED" | "TRADER_UNAVAILABLE" = "BROKER_REJECTED",
  ): SubmitResult {
    return failedResult(signal, {
      namespace: this.executionMode,
      code,
      message,
      timestamp: new Date().toISOString(),
    });
  }
}

/** A rate limiter's queue: `ms`, or until the engine withdraws the submission. */
function queued(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    abort.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
