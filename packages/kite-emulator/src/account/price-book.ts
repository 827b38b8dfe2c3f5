import type { Instrument } from "../instruments/instrument.js";

/** Current prices: the instrument table's last_price unless a test moved the price. */
export class PriceBook {
  readonly #overrides = new Map<string, number>();

  set(exchange: string, tradingsymbol: string, price: number): void {
    this.#overrides.set(`${exchange}:${tradingsymbol}`, price);
  }

  priceOf(instrument: Instrument): number {
    return (
      this.#overrides.get(`${instrument.exchange}:${instrument.tradingsymbol}`) ??
      instrument.last_price
    );
  }

  clear(): void {
    this.#overrides.clear();
  }
}
