import { SlidingWindow } from "./sliding-window.js";

/** Kite's per-account order limits; a limit of 0 turns that check off. */
export interface OrderRateLimits {
  perSecond: number;
  perMinute: number;
}

/**
 * Kite's order rate limits as sliding windows shared by every order write: placing, modifying
 * and cancelling draw on the same 10-a-second and 400-a-minute budget. Only admitted requests
 * are counted, so a client that backs off after a 429 recovers once the window has moved on.
 */
export class OrderRateLimiter {
  readonly #limits: OrderRateLimits;
  readonly #second = new SlidingWindow(1_000);
  readonly #minute = new SlidingWindow(60_000);

  constructor(limits: OrderRateLimits) {
    this.#limits = limits;
  }

  /** Admits one order request at `now` (epoch ms) unless a window is full. */
  tryAcquire(now: number): boolean {
    const { perSecond, perMinute } = this.#limits;
    if (perSecond > 0 && this.#second.count(now) >= perSecond) return false;
    if (perMinute > 0 && this.#minute.count(now) >= perMinute) return false;
    this.#second.add(now);
    this.#minute.add(now);
    return true;
  }

  clear(): void {
    this.#second.clear();
    this.#minute.clear();
  }
}
