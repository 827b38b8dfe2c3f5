import type { KiteOrder } from "../orders/kite-order.js";
import { PeakRate } from "./peak-rate.js";
import { RequestRates } from "./request-rates.js";

/** The order writes Kite rate-limits together: place, modify and cancel. */
export type OrderAction = "place" | "modify" | "cancel";

/** Counters a test can assert on; see `KiteEmulator.stats()`. */
export interface EmulatorStats {
  /** Kite API requests received (admin endpoints excluded). */
  requests: number;
  /** Requests by `METHOD /route/template`, e.g. `POST /orders/:variety`. */
  requestsByPath: Record<string, number>;
  /** The most Kite API requests received within any sliding one-second window. */
  maxRequestsInAnySecond: number;
  /** The same peak per route, keyed like `requestsByPath` (e.g. `GET /orders`). */
  maxRequestsInAnySecondByPath: Record<string, number>;
  /** Order placement requests received, whatever their outcome. */
  placementRequests: number;
  /** Modification requests (`PUT /orders/:variety/:order_id`) received, whatever their outcome. */
  modifyRequests: number;
  /** Cancellation requests (`DELETE /orders/:variety/:order_id`) received, whatever their outcome. */
  cancelRequests: number;
  /** Orders created (including those later REJECTED for margin). */
  placements: number;
  /** Modifications the order book accepted. */
  modifications: number;
  /** Cancellations the order book accepted (the order went to CANCELLED). */
  cancellations: number;
  /** Orders created, by tag (`""` for untagged). */
  ordersByTag: Record<string, number>;
  /** Orders by current status. */
  ordersByStatus: Record<string, number>;
  /** Orders placed while fills were held that have not been released, cancelled or ended. */
  ordersHeld: number;
  /** Placements answered 400 by validation. */
  placementsInvalid: number;
  /**
   * Order requests (place, modify and cancel) answered 429 by the rate limiter; injected 429s
   * are in `faultsInjected`.
   */
  rateLimited: number;
  /**
   * The most placement requests received within any sliding one-second window, counting those
   * that were refused: the rate the client attempted, which the limiter alone would hide.
   */
  maxPlacementsInAnySecond: number;
  /** The same peak over every order request (place, modify and cancel), refused ones included. */
  maxOrderRequestsInAnySecond: number;
  /** Faults that fired, by kind. */
  faultsInjected: Record<string, number>;
  /** Postbacks delivered and failed. */
  postbacksSent: number;
  postbacksFailed: number;
}

/** What the order book contributes to a snapshot. */
export interface OrderBookFigures {
  orders: readonly KiteOrder[];
  held: number;
}

type Counters = Omit<
  EmulatorStats,
  "ordersByStatus" | "ordersHeld" | "maxRequestsInAnySecond" | "maxRequestsInAnySecondByPath"
>;

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Collects {@link EmulatorStats}. */
export class StatsCollector {
  #placementPeak = new PeakRate();
  #orderPeak = new PeakRate();
  #rates = new RequestRates();
  #stats = StatsCollector.#empty();

  static #empty(): Counters {
    return {
      requests: 0,
      requestsByPath: {},
      placementRequests: 0,
      modifyRequests: 0,
      cancelRequests: 0,
      placements: 0,
      modifications: 0,
      cancellations: 0,
      ordersByTag: {},
      placementsInvalid: 0,
      rateLimited: 0,
      maxPlacementsInAnySecond: 0,
      maxOrderRequestsInAnySecond: 0,
      faultsInjected: {},
      postbacksSent: 0,
      postbacksFailed: 0,
    };
  }

  /** Counts a Kite API request to `route` arriving at `now` (epoch ms). */
  request(method: string, route: string, now: number): void {
    const key = `${method} ${route}`;
    this.#stats.requests += 1;
    bump(this.#stats.requestsByPath, key);
    this.#rates.add(key, now);
  }

  /** Counts an order write request, refused or not, for the attempted-rate peaks. */
  orderRequest(action: OrderAction, now: number): void {
    if (action === "place") {
      this.#stats.placementRequests += 1;
      this.#stats.maxPlacementsInAnySecond = this.#placementPeak.add(now);
    } else if (action === "modify") {
      this.#stats.modifyRequests += 1;
    } else {
      this.#stats.cancelRequests += 1;
    }
    this.#stats.maxOrderRequestsInAnySecond = this.#orderPeak.add(now);
  }

  placed(tag: string | null): void {
    this.#stats.placements += 1;
    bump(this.#stats.ordersByTag, tag ?? "");
  }

  modified(): void {
    this.#stats.modifications += 1;
  }

  cancelled(): void {
    this.#stats.cancellations += 1;
  }

  invalid(): void {
    this.#stats.placementsInvalid += 1;
  }

  rateLimited(): void {
    this.#stats.rateLimited += 1;
  }

  fault(kind: string): void {
    bump(this.#stats.faultsInjected, kind);
  }

  postback(ok: boolean): void {
    if (ok) this.#stats.postbacksSent += 1;
    else this.#stats.postbacksFailed += 1;
  }

  /**
   * The most requests to any of `routes` (keys as in `requestsByPath`) within one sliding
   * second; to any route when omitted.
   */
  maxRequestsInAnySecond(routes?: string | readonly string[]): number {
    return this.#rates.maxInAnySecond(routes);
  }

  snapshot(book: OrderBookFigures): EmulatorStats {
    const ordersByStatus: Record<string, number> = {};
    for (const order of book.orders) bump(ordersByStatus, order.status);
    return {
      ...structuredClone(this.#stats),
      maxRequestsInAnySecond: this.#rates.maxInAnySecond(),
      maxRequestsInAnySecondByPath: this.#rates.maxByRoute(),
      ordersByStatus,
      ordersHeld: book.held,
    };
  }

  clear(): void {
    this.#stats = StatsCollector.#empty();
    this.#placementPeak = new PeakRate();
    this.#orderPeak = new PeakRate();
    this.#rates.clear();
  }
}
