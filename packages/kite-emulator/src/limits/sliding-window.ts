/** Counts events in the last `windowMs`, pruning older ones as it goes. */
export class SlidingWindow {
  readonly #windowMs: number;
  #times: number[] = [];
  #start = 0;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Events in the window `(now - windowMs, now]`. */
  count(now: number): number {
    const edge = now - this.#windowMs;
    while (this.#start < this.#times.length && (this.#times[this.#start] as number) <= edge) {
      this.#start++;
    }
    // Compact now and then, so a long run does not keep every timestamp.
    if (this.#start > 1024 && this.#start * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#start);
      this.#start = 0;
    }
    return this.#times.length - this.#start;
  }

  add(now: number): void {
    this.#times.push(now);
  }

  clear(): void {
    this.#times = [];
    this.#start = 0;
  }
}
