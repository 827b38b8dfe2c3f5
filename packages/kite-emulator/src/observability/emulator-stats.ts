import { SlidingWindow } from "../limits/sliding-window.js";
import type { KiteOrder } from "../orders/kite-order.js";

/** Counters a test can assert on; see `KiteEmulator.stats()`. */
export interface EmulatorStats {
  /** Kite API requests received (admin endpoints excluded). */
  requests: number;
  /** Requests by `METHOD /route/template`, e.g. `POST /orders/:variety`. */
  requestsByPath: Record<string, number>;
  /** Order placement requests received, whatever their outcome. */
  placementRequests: number;
  /** Orders created (including those later REJECTED for margin). */
  placements: number;
  /** Orders created, by tag (`""` for untagged). */
  ordersByTag: Record<string, number>;
  /** Orders by current status. */
  ordersByStatus: Record<string, number>;
  /** Placements answered 400 by validation. */
  placementsInvalid: number;
  /** Placements answered 429 by the rate limiter (injected 429s are in `faultsInjected`). */
  rateLimited: number;
  /**
   * The most placement requests received within any sliding one-second window, counting those
   * that were refused: the rate the client attempted, which the limiter alone would hide.
   */
  maxPlacementsInAnySecond: number;
  /** Faults that fired, by kind. */
  faultsInjected: Record<string, number>;
  /** Postbacks delivered and failed. */
  postbacksSent: number;
  postbacksFailed: number;
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Collects {@link EmulatorStats}. */
export class StatsCollector {
  #placementWindow = new SlidingWindow(1_000);
  #stats = StatsCollector.#empty();

  static #empty(): Omit<EmulatorStats, "ordersByStatus"> {
    return {
      requests: 0,
      requestsByPath: {},
      placementRequests: 0,
      placements: 0,
      ordersByTag: {},
      placementsInvalid: 0,
      rateLimited: 0,
      maxPlacementsInAnySecond: 0,
      faultsInjected: {},
      postbacksSent: 0,
      postbacksFailed: 0,
    };
  }

  request(method: string, route: string): void {
    this.#stats.requests += 1;
    bump(this.#stats.requestsByPath, `${method} ${route}`);
  }

  placementRequest(now: number): void {
    this.#stats.placementRequests += 1;
    this.#placementWindow.add(now);
    const inWindow = this.#placementWindow.count(now);
    if (inWindow > this.#stats.maxPlacementsInAnySecond) {
      this.#stats.maxPlacementsInAnySecond = inWindow;
    }
  }

  placed(tag: string | null): void {
    this.#stats.placements += 1;
    bump(this.#stats.ordersByTag, tag ?? "");
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

  snapshot(orders: readonly KiteOrder[]): EmulatorStats {
    const ordersByStatus: Record<string, number> = {};
    for (const order of orders) bump(ordersByStatus, order.status);
    return { ...structuredClone(this.#stats), ordersByStatus };
  }

  clear(): void {
    this.#stats = StatsCollector.#empty();
    this.#placementWindow = new SlidingWindow(1_000);
  }
}
