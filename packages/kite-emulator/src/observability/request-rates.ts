import { PeakRate } from "./peak-rate.js";

/** Arrival times kept per route for {@link RequestRates.maxInAnySecond} over several routes. */
const TIMES_KEPT_PER_ROUTE = 100_000;
const ONE_SECOND_MS = 1_000;

interface RouteRate {
  peak: PeakRate;
  times: number[];
}

/**
 * The peak request rate per route: the most requests within any sliding one-second window
 * `(t - 1000 ms, t]`. The peak of one route (or of all requests) is tracked exactly as requests
 * arrive; the peak of several routes together is computed from the last
 * {@link TIMES_KEPT_PER_ROUTE} arrival times of each, which bounds memory in a long sandbox run.
 */
export class RequestRates {
  #routes = new Map<string, RouteRate>();
  #all = new PeakRate();

  /** Records one request to `key` (`METHOD /route`) arriving at `now` (epoch ms). */
  add(key: string, now: number): void {
    let rate = this.#routes.get(key);
    if (rate === undefined) {
      rate = { peak: new PeakRate(), times: [] };
      this.#routes.set(key, rate);
    }
    rate.peak.add(now);
    this.#all.add(now);
    rate.times.push(now);
    if (rate.times.length > TIMES_KEPT_PER_ROUTE * 1.25) {
      rate.times = rate.times.slice(rate.times.length - TIMES_KEPT_PER_ROUTE);
    }
  }

  /** Peak of every route, keyed like `requestsByPath`. */
  maxByRoute(): Record<string, number> {
    return Object.fromEntries([...this.#routes].map(([key, rate]) => [key, rate.peak.max]));
  }

  /** Peak of `keys` taken together; of every request when `keys` is omitted; 0 for none. */
  maxInAnySecond(keys?: string | readonly string[]): number {
    if (keys === undefined) return this.#all.max;
    const list = typeof keys === "string" ? [keys] : [...new Set(keys)];
    if (list.length === 1) return this.#routes.get(list[0] as string)?.peak.max ?? 0;
    const times = list.flatMap((key) => this.#routes.get(key)?.times ?? []).sort((a, b) => a - b);
    let max = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      const edge = (times[end] as number) - ONE_SECOND_MS;
      while ((times[start] as number) <= edge) start++;
      max = Math.max(max, end - start + 1);
    }
    return max;
  }

  clear(): void {
    this.#routes = new Map();
    this.#all = new PeakRate();
  }
}
