import { SlidingWindow } from "../limits/sliding-window.js";

/** The most events seen within any sliding one-second window `(t - 1000 ms, t]`. */
export class PeakRate {
  readonly #window = new SlidingWindow(1_000);
  #max = 0;

  get max(): number {
    return this.#max;
  }

  /** Records an event at `now` (epoch ms) and returns the peak so far. */
  add(now: number): number {
    this.#window.add(now);
    this.#max = Math.max(this.#max, this.#window.count(now));
    return this.#max;
  }
}
