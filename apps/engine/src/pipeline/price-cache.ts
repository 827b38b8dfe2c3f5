import { type Clock, type MarketQuote, systemClock } from "@engine/core";

export interface PriceCacheOptions {
  /**
   * A quote older than this counts as no quote, ms (`PRICE_MAX_AGE_MS`). Default: never stale.
   */
  maxAgeMs?: number;
  /** What "now" is when a quote's age is taken. Default: the system clock. */
  clock?: Clock;
}

/**
 * The last quote seen per instrument, fed by `market.ticks`, with an age limit: a quote older
 * than `maxAgeMs` is not a price any more (a feed that stopped, a restart that read old ticks).
 *
 * The age counts from the tick's own `timestamp` (when the market saw the price). A tick without
 * one counts from the time given to {@link PriceCache.set} (the Kafka record's timestamp, or when
 * it was read); a timestamp that does not parse makes the quote stale (a price of unknown age is
 * not traded on). Parsing is left to {@link PriceCache.get}, called once per signal: the tick path
 * stays one map write for a tick with a timestamp, as the feed sends them.
 */
export class PriceCache {
  readonly #quotes = new Map<number, MarketQuote>();
  /** ms since the Unix epoch (a number, or Kafka's decimal text) of quotes without a timestamp. */
  readonly #untimedAt = new Map<number, number | string>();
  readonly #maxAgeMs: number;
  readonly #clock: Clock;

  constructor(options: PriceCacheOptions = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? Number.POSITIVE_INFINITY;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Keeps `quote` as its instrument's last quote.
   * @param at ms since the Unix epoch its age counts from when the quote has no timestamp of its
   * own: the Kafka record's timestamp (decimal text, as the client gives it), or when it was read.
   */
  set(quote: MarketQuote, at: number | string): void {
    this.#quotes.set(quote.instrumentToken, quote);
    if (quote.timestamp === null) this.#untimedAt.set(quote.instrumentToken, at);
  }

  /** The instrument's last quote, or null when none was seen or it is older than the limit. */
  get(instrumentToken: number): MarketQuote | null {
    const quote = this.#quotes.get(instrumentToken);
    if (!quote) return null;
    if (this.#maxAgeMs === Number.POSITIVE_INFINITY) return quote;
    const at =
      quote.timestamp === null
        ? Number(this.#untimedAt.get(instrumentToken))
        : Date.parse(quote.timestamp);
    if (!Number.isFinite(at)) return null;
    // A timestamp ahead of the clock (skew between the feed and this host) is fresh, not stale.
    return this.#clock.now() - at > this.#maxAgeMs ? null : quote;
  }

  /** Instruments with a quote, stale ones included. */
  get size(): number {
    return this.#quotes.size;
  }
}
