import {
  isClientOrderId,
  type Logger,
  type OrderQuery,
  type OrderRef,
  type OrderStatusBatch,
  type OrderStatusReport,
} from "@engine/core";
import { isUnknownOrder, type KiteFailure } from "../kite/kite-errors.js";
import type { KiteGateway } from "../kite/kite-gateway.js";
import { hasTag, type KiteOrderState } from "../kite/order-state.js";
import { FillTimeCache, lastFillTimes } from "./fill-times.js";
import { needsFillTime, orderStatusReport } from "./kite-order-report.js";

export interface OrderStatusReaderOptions {
  gateway: KiteGateway;
  logger: Logger;
  fillTimes?: FillTimeCache;
}

/** A failure to ask, as a reason. */
function reasonOf(failure: KiteFailure): string {
  return `${failure.errorType}: ${failure.message}`;
}

/**
 * Reads where orders stand at Kite, with no side effect on them: one order (`query`, by Kite's
 * order id when known, else by its client order id in today's order book) or many at once
 * (`reports`: one `GET /orders` for every order asked, plus at most one `GET /trades` when an order
 * ended with a fill whose time is not known yet).
 *
 * Single queries go ahead of routine requests in the request limiter: they resolve submissions
 * that got no clear answer. Batch rounds wait their turn.
 */
export class OrderStatusReader {
  readonly #o: OrderStatusReaderOptions;
  readonly #fillTimes: FillTimeCache;
  /** Client order ids already logged as carried by several orders: logged once, not every round. */
  readonly #duplicates = new Set<string>();

  constructor(options: OrderStatusReaderOptions) {
    this.#o = options;
    this.#fillTimes = options.fillTimes ?? new FillTimeCache();
  }

  /**
   * Where one order stands: `found`, `absent` (Kite answered and has no such order; by client
   * order id, this looks at today's order book only), or `unknown` (Kite could not be asked).
   */
  async query(ref: OrderRef): Promise<OrderQuery> {
    const located =
      ref.orderId === null ? await this.#byTag(ref) : await this.#byId(ref.orderId, ref);
    if (located.kind !== "found") return located;
    const { state } = located;
    let lastFillAt: number | null = null;
    if (needsFillTime(state)) {
      const known = await this.#fillTimeOf(state.order_id);
      if (known.kind === "unknown") return known;
      lastFillAt = known.at;
    }
    return { kind: "found", report: orderStatusReport(state, ref.clientOrderId, lastFillAt) };
  }

  /**
   * Status reports of many orders from one read of today's order book: for each ref, its order by
   * Kite id when the ref has one, and every order carrying its tag (several for one tag: a
   * duplicate placement, reported for the engine to see); orders not in the book are left out (the
   * engine asks for those one by one). `unavailable` when the book, or the trades needed for fill times,
   * could not be read.
   */
  async reports(refs: readonly OrderRef[]): Promise<OrderStatusBatch> {
    if (refs.length === 0) return { kind: "ok", reports: [] };
    const book = await this.#o.gateway.orders();
    if (!book.ok) return { kind: "unavailable", reason: reasonOf(book.failure) };
    const index = indexBook(book.value);
    // Every engine order of the day, followed or not: a second order for one client order id
    // (placed after its execution ended, say) must not sit at Kite unseen.
    for (const [tag, tagged] of index.byTag) {
      if (tagged.length > 1 && isClientOrderId(tag)) this.#several(tag, tagged);
    }
    const matched = matchRefs(refs, index);
    const timed = await this.#learnFillTimes(matched.map(({ state }) => state));
    if (timed !== null) return timed;
    const reports: OrderStatusReport[] = matched.map(({ ref, state }) =>
      orderStatusReport(
        state,
        ref.clientOrderId,
        needsFillTime(state) ? (this.#fillTimes.get(state.order_id) ?? null) : null,
      ),
    );
    return { kind: "ok", reports };
  }

  /**
   * Fills the cache with the fill times of the orders that ended with a fill and have none yet,
   * from one `GET /trades`; the batch's `unavailable` answer when the trades could not be read.
   */
  async #learnFillTimes(
    states: readonly KiteOrderState[],
  ): Promise<Extract<OrderStatusBatch, { kind: "unavailable" }> | null> {
    const missing = states.filter(
      (state) => needsFillTime(state) && this.#fillTimes.get(state.order_id) === undefined,
    );
    if (missing.length === 0) return null;
    const trades = await this.#o.gateway.trades();
    if (!trades.ok) {
      return {
        kind: "unavailable",
        reason: `the day's trades (for fill times) could not be read: ${reasonOf(trades.failure)}`,
      };
    }
    const last = lastFillTimes(trades.value);
    for (const state of missing) {
      const at = last.get(state.order_id);
      if (at !== undefined) this.#fillTimes.remember(state.order_id, at);
      else this.#noTrades(state.order_id);
    }
    return null;
  }

  async #byId(
    orderId: string,
    ref: OrderRef,
  ): Promise<{ kind: "found"; state: KiteOrderState } | Exclude<OrderQuery, { kind: "found" }>> {
    const history = await this.#o.gateway.orderHistory(orderId, { urgent: true });
    if (!history.ok) {
      if (isUnknownOrder(history.failure)) return { kind: "absent" };
      return { kind: "unknown", reason: reasonOf(history.failure) };
    }
    const latest = history.value.at(-1);
    if (latest === undefined) {
      return { kind: "unknown", reason: `Kite returned an empty history for order ${orderId}` };
    }
    const tags = tagsOf(latest);
    if (tags.length > 0 && !tags.includes(ref.clientOrderId)) {
      this.#o.logger.error(
        { order_id: orderId, client_order_id: ref.clientOrderId, tags },
        "the Kite order asked for by id carries another client order id",
      );
    }
    return { kind: "found", state: latest };
  }

  async #byTag(
    ref: OrderRef,
  ): Promise<{ kind: "found"; state: KiteOrderState } | Exclude<OrderQuery, { kind: "found" }>> {
    const book = await this.#o.gateway.orders({ urgent: true });
    if (!book.ok) return { kind: "unknown", reason: reasonOf(book.failure) };
    const matches = book.value.filter((state) => hasTag(state, ref.clientOrderId));
    if (matches.length > 1) this.#several(ref.clientOrderId, matches);
    const first = matches[0];
    return first === undefined ? { kind: "absent" } : { kind: "found", state: first };
  }

  /** The last fill time of an ended order: cached, else from its trades. */
  async #fillTimeOf(
    orderId: string,
  ): Promise<{ kind: "known"; at: number | null } | { kind: "unknown"; reason: string }> {
    const cached = this.#fillTimes.get(orderId);
    if (cached !== undefined) return { kind: "known", at: cached };
    const trades = await this.#o.gateway.orderTrades(orderId, { urgent: true });
    if (!trades.ok) {
      // Kite no longer lists the trades (an order of an earlier day): the order's own time stands.
      if (isUnknownOrder(trades.failure)) return { kind: "known", at: null };
      return {
        kind: "unknown",
        reason: `the order's trades (for its fill time) could not be read: ${reasonOf(trades.failure)}`,
      };
    }
    const at = lastFillTimes(trades.value).get(orderId);
    if (at === undefined) {
      this.#noTrades(orderId);
      return { kind: "known", at: null };
    }
    this.#fillTimes.remember(orderId, at);
    return { kind: "known", at };
  }

  #several(clientOrderId: string, states: readonly KiteOrderState[]): void {
    const key = `${clientOrderId}:${states.length}`;
    if (this.#duplicates.has(key)) return;
    this.#duplicates.add(key);
    this.#o.logger.error(
      { client_order_id: clientOrderId, order_ids: states.map((state) => state.order_id) },
      "several Kite orders carry one client order id: an order placed twice",
    );
  }

  #noTrades(orderId: string): void {
    this.#o.logger.warn(
      { order_id: orderId },
      "Kite lists no trade for an order that ended with a fill: its fill time is the order's own time",
    );
  }
}

interface BookIndex {
  byId: Map<string, KiteOrderState>;
  byTag: Map<string, KiteOrderState[]>;
}

/** Today's order book by Kite order id and by tag (a tag may be on several orders). */
function indexBook(book: readonly KiteOrderState[]): BookIndex {
  const byId = new Map<string, KiteOrderState>();
  const byTag = new Map<string, KiteOrderState[]>();
  for (const state of book) {
    byId.set(state.order_id, state);
    for (const tag of tagsOf(state)) {
      const list = byTag.get(tag);
      if (list === undefined) byTag.set(tag, [state]);
      else list.push(state);
    }
  }
  return { byId, byTag };
}

/**
 * Each ref's orders in the book: its order by Kite's id when the ref has one, and every order
 * carrying its tag (more than one is a duplicate placement, which the engine must see).
 */
function matchRefs(
  refs: readonly OrderRef[],
  { byId, byTag }: BookIndex,
): { ref: OrderRef; state: KiteOrderState }[] {
  const matched: { ref: OrderRef; state: KiteOrderState }[] = [];
  for (const ref of refs) {
    const tagged = byTag.get(ref.clientOrderId) ?? [];
    const byOwnId = ref.orderId === null ? undefined : byId.get(ref.orderId);
    const states =
      byOwnId === undefined || tagged.includes(byOwnId) ? tagged : [byOwnId, ...tagged];
    for (const state of states) matched.push({ ref, state });
  }
  return matched;
}

/** The tags an order carries (`tag` and `tags`), without repeats. */
function tagsOf(state: KiteOrderState): string[] {
  const tags = new Set<string>();
  if (state.tag) tags.add(state.tag);
  for (const tag of state.tags ?? []) tags.add(tag);
  return [...tags];
}
