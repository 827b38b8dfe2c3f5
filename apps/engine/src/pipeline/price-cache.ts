import type { MarketQuote } from "@engine/core";

/** The last quote seen per instrument, fed by `market.ticks`. */
export class PriceCache {
  readonly #quotes = new Map<number, MarketQuote>();

  set(quote: MarketQuote): void {
    this.#quotes.set(quote.instrumentToken, quote);
  }

  get(instrumentToken: number): MarketQuote | null {
    return this.#quotes.get(instrumentToken) ?? null;
  }

  get size(): number {
    return this.#quotes.size;
  }
}
