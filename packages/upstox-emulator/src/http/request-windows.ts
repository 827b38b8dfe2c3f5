/** A limit of `limit` requests in any `windowMs`. */
export interface WindowLimit {
  limit: number;
  windowMs: number;
}

/**
 * Arrival times of one class of requests (order writes, or reads), to enforce Upstox's per-user
 * limits and to report the busiest second a client ever caused.
 */
export class RequestWindows {
  readonly #limits: readonly WindowLimit[];
  readonly #keepMs: number;
  #arrivals: number[] = [];
  #peakPerSecond = 0;

  constructor(limits: readonly WindowLimit[]) {
    this.#limits = limits;
    this.#keepMs = Math.max(1_000, ...limits.map((limit) => limit.windowMs));
  }

  /**
   * Records a request at `now` and answers whether it is within every limit. A refused request
   * counts too: Upstox counts what it receives.
   */
  admit(now: number): boolean {
    this.#arrivals = this.#arrivals.filter((at) => at > now - this.#keepMs);
    this.#arrivals.push(now);
    const lastSecond = this.#countSince(now - 1_000);
    this.#peakPerSecond = Math.max(this.#peakPerSecond, lastSecond);
    return this.#limits.every((limit) => this.#countSince(now - limit.windowMs) <= limit.limit);
  }

  /** The most requests received within any one-second window since the start or the reset. */
  get peakPerSecond(): number {
    return this.#peakPerSecond;
  }

  reset(): void {
    this.#arrivals = [];
    this.#peakPerSecond = 0;
  }

  #countSince(from: number): number {
    let count = 0;
    for (let i = this.#arrivals.length - 1; i >= 0 && (this.#arrivals[i] as number) > from; i--) {
      count++;
    }
    return count;
  }
}
