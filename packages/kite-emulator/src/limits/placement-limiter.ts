import { SlidingWindow } from "./sliding-window.js";

/** Kite's order-placement limits per account; a limit of 0 turns that check off. */
export interface PlacementLimits {
  perSecond: number;
  perMinute: number;
}

/**
 * Kite's order rate limits as sliding windows. Only admitted placements are counted: a client
 * that backs off after a 429 recovers once the window has moved on.
 */
export class PlacementLimiter {
  readonly #limits: PlacementLimits;
  readonly #second = new SlidingWindow(1_000);
  readonly #minute = new SlidingWindow(60_000);

  constructor(limits: PlacementLimits) {
    this.#limits = limits;
  }

  /** Admits one placement at `now` unless a window is full. */
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
