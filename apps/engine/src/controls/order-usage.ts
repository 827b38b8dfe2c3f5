import type { PreTradeUsage, PreTradeVerdict } from "@engine/core";

const MINUTE_MS = 60_000;
/** India Standard Time, UTC+05:30: the trading day of NSE and BSE. */
const IST_OFFSET_MS = 330 * 60_000;
const DAY_MS = 86_400_000;

interface Tally {
  /** Times of the orders in the last minute (epoch ms), oldest first. */
  recent: number[];
  day: string;
  ordersToday: number;
  notionalToday: number;
}

/**
 * Counts the orders the trading gate lets through, per strategy and namespace, for the pre-trade
 * limits on orders per minute and per day and daily notional.
 */
export interface UsageCounter {
  /**
   * Judges an order let through at `at` (epoch ms, the engine's clock) by the strategy's usage
   * so far, and counts it when `judge` passes it: the judging and the counting are one step, so
   * two orders judged at once cannot both take the last room.
   * @returns `judge`'s verdict
   */
  admit(
    namespace: string,
    strategyId: string,
    at: number,
    judge: (usage: PreTradeUsage) => PreTradeVerdict,
  ): Promise<PreTradeVerdict>;
}

/** The start of the IST trading day holding `at` (epoch ms), epoch ms. */
export function istDayStart(at: number): number {
  return Math.floor((at + IST_OFFSET_MS) / DAY_MS) * DAY_MS - IST_OFFSET_MS;
}

/**
 * What each strategy sent on each namespace: orders in the last 60 s (a sliding window), and
 * orders and notional in the current trading day (IST). Counts this instance's orders only; the
 * counts start from zero at each start. `SharedOrderUsage` counts every instance's.
 */
export class OrderUsage implements UsageCounter {
  readonly #tallies = new Map<string, Tally>();

  async admit(
    namespace: string,
    strategyId: string,
    at: number,
    judge: (usage: PreTradeUsage) => PreTradeVerdict,
  ): Promise<PreTradeVerdict> {
    const verdict = judge(this.of(namespace, strategyId, at));
    if (verdict.kind === "pass") this.record(namespace, strategyId, at, verdict.notional);
    return verdict;
  }

  /** The usage of a strategy on a namespace at `now` (epoch ms). */
  of(namespace: string, strategyId: string, now: number): PreTradeUsage {
    const tally = this.#tally(namespace, strategyId, now);
    return {
      ordersLastMinute: tally.recent.length,
      ordersToday: tally.ordersToday,
      notionalToday: tally.notionalToday,
    };
  }

  /** Counts an order let through at `now`; `notional` null when unknown (counts as 0). */
  record(namespace: string, strategyId: string, now: number, notional: number | null): void {
    const tally = this.#tally(namespace, strategyId, now);
    tally.recent.push(now);
    tally.ordersToday += 1;
    tally.notionalToday += notional ?? 0;
  }

  #tally(namespace: string, strategyId: string, now: number): Tally {
    const key = `${namespace}\u0000${strategyId}`;
    const day = new Date(now + IST_OFFSET_MS).toISOString().slice(0, 10);
    let tally = this.#tallies.get(key);
    if (!tally || tally.day !== day) {
      tally = { recent: tally?.recent ?? [], day, ordersToday: 0, notionalToday: 0 };
      this.#tallies.set(key, tally);
    }
    while (tally.recent.length > 0 && (tally.recent[0] ?? now) <= now - MINUTE_MS)
      tally.recent.shift();
    return tally;
  }
}
