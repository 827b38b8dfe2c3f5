import type { MarketDataPort, MarketQuote } from "@engine/core";
import type { PriceCache } from "./price-cache.js";

/**
 * The engine's market data as traders see it (`MarketDataPort`): the price cache, plus listeners
 * told of every quote as the tick handler applies it (a simulator's resting orders).
 */
export class MarketData implements MarketDataPort {
  readonly #cache: PriceCache;
  readonly #listeners = new Set<(quote: MarketQuote) => void>();

  constructor(cache: PriceCache) {
    this.#cache = cache;
  }

  /**
   * Applies a quote from the tick topic: on the tick path, so no work without listeners.
   * @param at ms since the Unix epoch its age counts from when it has no timestamp of its own
   */
  set(quote: MarketQuote, at: number | string): void {
    this.#cache.set(quote, at);
    if (this.#listeners.size === 0) return;
    for (const listener of this.#listeners) listener(quote);
  }

  quote(instrumentToken: number): MarketQuote | null {
    return this.#cache.get(instrumentToken);
  }

  subscribe(listener: (quote: MarketQuote) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
