import type { MarketDataPort, MarketQuote } from "@engine/core";

/**
 * The engine's market data as a test drives it: `publish` hands a quote to every subscriber, as
 * the engine's tick consumer does. With `repeat`, a quote is also published every `everyMs` while
 * anyone is subscribed (a market that keeps ticking).
 */
export class FakeMarketData implements MarketDataPort {
  readonly #latest = new Map<number, MarketQuote>();
  readonly #listeners = new Set<(quote: MarketQuote) => void>();
  readonly #repeat: { quote: MarketQuote; everyMs: number } | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: { repeat?: { quote: MarketQuote; everyMs: number } } = {}) {
    this.#repeat = options.repeat;
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  publish(quote: MarketQuote): void {
    this.#latest.set(quote.instrumentToken, quote);
    for (const listener of this.#listeners) listener(quote);
  }

  quote(instrumentToken: number): MarketQuote | null {
    return this.#latest.get(instrumentToken) ?? null;
  }

  subscribe(listener: (quote: MarketQuote) => void): () => void {
    this.#listeners.add(listener);
    const repeat = this.#repeat;
    if (repeat !== undefined && this.#timer === undefined) {
      this.#timer = setInterval(() => this.publish(repeat.quote), repeat.everyMs);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }
}
