import type { Clock } from "../ports/clock.js";

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: number | string | Date = 0) {
    this.#now = typeof start === "number" ? start : new Date(start).getTime();
  }

  now(): number {
    return this.#now;
  }

  /** Sets the time: epoch ms, an ISO-8601 string or a Date. */
  set(at: number | string | Date): void {
    this.#now = typeof at === "number" ? at : new Date(at).getTime();
  }

  /** Moves the time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now += ms;
  }
}
