import type { PaperOrder } from "./paper-order.js";

/** Ended orders kept in memory for queries; older ones are still in the database, if any. */
const DEFAULT_ENDED_CAPACITY = 100_000;

/**
 * The paper trader's orders in memory: every known order by client order id, the resting ones
 * indexed by instrument token for the tick path (one map lookup a tick), and the ended ones in
 * arrival order, the oldest forgotten beyond a capacity.
 */
export class PaperOrderBook {
  readonly #orders = new Map<string, PaperOrder>();
  readonly #resting = new Map<number, PaperOrder[]>();
  /** Ended client order ids, oldest first (a Set keeps insertion order). */
  readonly #ended = new Set<string>();
  readonly #endedCapacity: number;
  #restingCount = 0;

  constructor(endedCapacity = DEFAULT_ENDED_CAPACITY) {
    this.#endedCapacity = endedCapacity;
  }

  /** The order with this client order id, if known. */
  get(clientOrderId: string): PaperOrder | undefined {
    return this.#orders.get(clientOrderId);
  }

  /** Resting orders of an instrument, or undefined when it has none. Do not mutate. */
  restingAt(instrumentToken: number): readonly PaperOrder[] | undefined {
    return this.#resting.get(instrumentToken);
  }

  /** How many orders rest. */
  get restingCount(): number {
    return this.#restingCount;
  }

  /** Adds an order, resting or ended as its status says; a known id is replaced. */
  add(order: PaperOrder): void {
    const known = this.#orders.get(order.clientOrderId);
    if (known !== undefined) this.#forget(known);
    this.#orders.set(order.clientOrderId, order);
    if (order.status === "accepted") this.#index(order);
    else this.#remember(order.clientOrderId);
  }

  /** Takes a resting order off the index once its status says it ended. */
  ended(order: PaperOrder): void {
    if (this.#unindex(order)) this.#remember(order.clientOrderId);
  }

  /** Puts an order that was ended back on the index (a cancel that could not be recorded). */
  reopened(order: PaperOrder): void {
    this.#ended.delete(order.clientOrderId);
    this.#unindex(order);
    this.#index(order);
  }

  #index(order: PaperOrder): void {
    const list = this.#resting.get(order.instrumentToken);
    if (list === undefined) this.#resting.set(order.instrumentToken, [order]);
    else list.push(order);
    this.#restingCount += 1;
  }

  /** Whether the order was on the index. */
  #unindex(order: PaperOrder): boolean {
    const list = this.#resting.get(order.instrumentToken);
    const at = list?.indexOf(order) ?? -1;
    if (list === undefined || at < 0) return false;
    list.splice(at, 1);
    if (list.length === 0) this.#resting.delete(order.instrumentToken);
    this.#restingCount -= 1;
    return true;
  }

  #remember(clientOrderId: string): void {
    this.#ended.delete(clientOrderId);
    this.#ended.add(clientOrderId);
    if (this.#ended.size <= this.#endedCapacity) return;
    const oldest = this.#ended.values().next().value;
    if (oldest === undefined) return;
    this.#ended.delete(oldest);
    this.#orders.delete(oldest);
  }

  #forget(order: PaperOrder): void {
    this.#unindex(order);
    this.#ended.delete(order.clientOrderId);
    this.#orders.delete(order.clientOrderId);
  }
}
