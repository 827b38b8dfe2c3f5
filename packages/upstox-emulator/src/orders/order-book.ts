import type { UpstoxInstrument } from "../instruments/instrument-master.js";
import { istDay, istStamp } from "./ist-clock.js";
import {
  type EmulatedUpstoxOrder,
  FINAL_UPSTOX_STATUSES,
  type PlaceOrderBody,
  type UpstoxOrderRow,
  type UpstoxStatus,
} from "./upstox-order.js";

/** How orders placed from now on fill. */
export interface FillPlan {
  /** Milliseconds from placement to the last fill (0: complete on the first read). */
  fillDelayMs: number;
  /** Fills an order is split into, evenly over the delay (2+: partial fills show as `open`). */
  fillSteps: number;
  /** Orders stay `open` after `holdAfterFills` fills until released or cancelled. */
  hold: boolean;
  holdAfterFills: number;
}

/** What the book needs from the rest of the emulator. */
export interface OrderBookDeps {
  clock: () => number;
  priceOf(instrument: UpstoxInstrument): number;
  /** Funds for new orders, in rupees. */
  funds: { available: number };
  fills: () => FillPlan;
  /** Milliseconds an order stays out of history and retrieve-all after placement. */
  listingLagMs: () => number;
}

interface OrderEntry {
  readonly id: string;
  readonly body: PlaceOrderBody;
  readonly instrument: UpstoxInstrument;
  readonly placedAt: number;
  readonly listedFrom: number;
  readonly plan: FillPlan;
  readonly rows: UpstoxOrderRow[];
  readonly rejection: string | null;
  held: boolean;
  filled: number;
  filledValue: number;
  fillsDone: number;
  /** When the next fill is due, epoch ms; it waits for the price when not marketable. */
  nextFillAt: number;
  done: boolean;
}

/** Outcome of a cancel, with Upstox's error code when refused. */
export type CancelAnswer =
  | { kind: "ok"; orderId: string }
  | { kind: "unknown_order" }
  | { kind: "final"; status: UpstoxStatus };

/**
 * The day's orders with a scripted lifecycle. States are worked out lazily on each read from the
 * clock, so tests under a fake clock need no timers: with a zero fill delay an order is complete
 * on the first read after its placement.
 */
export class UpstoxOrderBook {
  readonly #deps: OrderBookDeps;
  readonly #orders = new Map<string, OrderEntry>();
  #seq = 0;

  constructor(deps: OrderBookDeps) {
    this.#deps = deps;
  }

  /**
   * Books an order and answers its id. Insufficient funds do not fail the call: as on Upstox, the
   * order is created and ends `rejected` with a status message.
   */
  place(body: PlaceOrderBody, instrument: UpstoxInstrument): string {
    const now = this.#deps.clock();
    this.#seq += 1;
    const id = `${istDay(now)}${String(this.#seq).padStart(9, "0")}`;
    const price = body.price > 0 ? body.price : this.#deps.priceOf(instrument);
    const needed = body.transaction_type === "BUY" ? body.quantity * price : 0;
    const funded = needed <= this.#deps.funds.available;
    if (funded) this.#deps.funds.available -= needed;
    const plan = { ...this.#deps.fills() };
    const entry: OrderEntry = {
      id,
      body,
      instrument,
      placedAt: now,
      listedFrom: now + this.#deps.listingLagMs(),
      plan,
      rows: [],
      rejection: funded
        ? null
        : `Insufficient funds. Required: ${needed.toFixed(2)}, Available: ${this.#deps.funds.available.toFixed(2)}`,
      held: plan.hold,
      filled: 0,
      filledValue: 0,
      fillsDone: 0,
      nextFillAt: now + plan.fillDelayMs / Math.max(plan.fillSteps, 1),
      done: false,
    };
    this.#orders.set(id, entry);
    this.#push(entry, "put order req received", now);
    this.#push(entry, "validation pending", now);
    if (entry.rejection !== null) {
      entry.done = true;
      this.#push(entry, "rejected", now, entry.rejection);
    } else {
      this.#push(entry, "open pending", now);
      this.#push(entry, "open", now);
    }
    return id;
  }

  /** The latest state of one order, or undefined. Ignores the listing lag, as details does. */
  details(orderId: string): UpstoxOrderRow | undefined {
    const entry = this.#advanced(orderId);
    return entry?.rows.at(-1);
  }

  /** Every state of the orders matching the filter, earliest first, past their listing lag. */
  history(filter: { orderId?: string; tag?: string }): UpstoxOrderRow[] {
    return this.#listed()
      .filter((entry) => filter.orderId === undefined || entry.id === filter.orderId)
      .filter((entry) => filter.tag === undefined || entry.body.tag === filter.tag)
      .flatMap((entry) => entry.rows);
  }

  /** The latest state of each of today's orders past its listing lag, in placement order. */
  retrieveAll(): UpstoxOrderRow[] {
    return this.#listed().map((entry) => entry.rows.at(-1) as UpstoxOrderRow);
  }

  /** Asks to cancel: `cancel pending`, then `cancelled` with what was filled kept. */
  cancel(orderId: string): CancelAnswer {
    const entry = this.#advanced(orderId);
    if (entry === undefined) return { kind: "unknown_order" };
    const status = (entry.rows.at(-1) as UpstoxOrderRow).status;
    if (entry.done) return { kind: "final", status };
    const now = this.#deps.clock();
    this.#push(entry, "cancel pending", now);
    entry.done = true;
    this.#refund(entry);
    this.#push(entry, "cancelled", now, "Cancelled by user");
    return { kind: "ok", orderId };
  }

  /** Lets held orders fill (all, or those listed); answers the ids released. */
  release(orderIds?: readonly string[]): string[] {
    const now = this.#deps.clock();
    const released: string[] = [];
    for (const entry of this.#orders.values()) {
      if (!entry.held || entry.done) continue;
      if (orderIds !== undefined && !orderIds.includes(entry.id)) continue;
      entry.held = false;
      entry.nextFillAt = Math.max(entry.nextFillAt, now);
      released.push(entry.id);
      this.#advance(entry, now);
    }
    return released;
  }

  /** Every order with its history, in placement order. */
  all(): EmulatedUpstoxOrder[] {
    const now = this.#deps.clock();
    return [...this.#orders.values()].map((entry) => {
      this.#advance(entry, now);
      return {
        ...(entry.rows.at(-1) as UpstoxOrderRow),
        history: [...entry.rows],
        market_protection: entry.body.market_protection ?? null,
      };
    });
  }

  /** Forgets every order; ids keep counting so they stay unique. */
  clear(): void {
    this.#orders.clear();
  }

  #listed(): OrderEntry[] {
    const now = this.#deps.clock();
    const listed: OrderEntry[] = [];
    for (const entry of this.#orders.values()) {
      this.#advance(entry, now);
      if (now >= entry.listedFrom) listed.push(entry);
    }
    return listed;
  }

  #advanced(orderId: string): OrderEntry | undefined {
    const entry = this.#orders.get(orderId);
    if (entry !== undefined) this.#advance(entry, this.#deps.clock());
    return entry;
  }

  /** Replays the fills due by `now`. */
  #advance(entry: OrderEntry, now: number): void {
    while (!entry.done && now >= entry.nextFillAt) {
      if (entry.held && entry.fillsDone >= entry.plan.holdAfterFills) return;
      const market = this.#deps.priceOf(entry.instrument);
      if (!marketable(entry.body, market)) return;
      this.#fillStep(entry, market);
    }
  }

  /** One step of the order's fill plan at the market price `market`. */
  #fillStep(entry: OrderEntry, market: number): void {
    const steps = Math.max(entry.plan.fillSteps, 1);
    const at = Math.max(entry.nextFillAt, entry.placedAt);
    entry.fillsDone += 1;
    const target =
      entry.fillsDone >= steps
        ? entry.body.quantity
        : Math.floor((entry.body.quantity * entry.fillsDone) / steps);
    const size = target - entry.filled;
    entry.filled += size;
    entry.filledValue += size * (entry.body.price > 0 ? entry.body.price : market);
    if (entry.filled >= entry.body.quantity) {
      entry.done = true;
      this.#push(entry, "complete", at);
      return;
    }
    if (size > 0) this.#push(entry, "open", at);
    entry.nextFillAt = entry.placedAt + (entry.plan.fillDelayMs * (entry.fillsDone + 1)) / steps;
  }

  #refund(entry: OrderEntry): void {
    if (entry.body.transaction_type !== "BUY" || entry.rejection !== null) return;
    const price = entry.body.price > 0 ? entry.body.price : this.#deps.priceOf(entry.instrument);
    this.#deps.funds.available += (entry.body.quantity - entry.filled) * price;
  }

  #push(entry: OrderEntry, status: UpstoxStatus, at: number, message: string | null = null): void {
    const { body, instrument } = entry;
    const acknowledged = status !== "put order req received" && status !== "validation pending";
    const final = FINAL_UPSTOX_STATUSES.has(status);
    entry.rows.push({
      exchange: instrument.exchange,
      product: body.product,
      price: body.price,
      quantity: body.quantity,
      status,
      tag: body.tag ?? null,
      validity: body.validity,
      average_price:
        entry.filled > 0 ? Math.round((entry.filledValue / entry.filled) * 100) / 100 : 0,
      disclosed_quantity: body.disclosed_quantity,
      exchange_order_id:
        acknowledged && entry.rejection === null ? `1300000${entry.id.slice(-8)}` : null,
      exchange_timestamp: acknowledged && entry.rejection === null ? istStamp(at) : null,
      instrument_token: instrument.instrument_key,
      is_amo: body.is_amo,
      status_message: message,
      status_message_raw: message,
      order_id: entry.id,
      order_request_id: "1",
      order_type: body.order_type,
      parent_order_id: null,
      trading_symbol: instrument.trading_symbol,
      order_timestamp: istStamp(at),
      filled_quantity: entry.filled,
      pending_quantity: final ? 0 : body.quantity - entry.filled,
      transaction_type: body.transaction_type,
      trigger_price: body.trigger_price,
      order_ref_id: `UPX-${entry.id}`,
      variety: "SIMPLE",
    });
  }
}

function marketable(body: PlaceOrderBody, market: number): boolean {
  if (body.order_type === "MARKET" || body.order_type === "SL-M") return true;
  return body.transaction_type === "BUY" ? market <= body.price : market >= body.price;
}
