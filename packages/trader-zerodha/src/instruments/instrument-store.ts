import type { Instrument } from "./instrument.js";

/**
 * The instruments in memory, by token: one `Map` lookup per order. A refresh builds a new map and
 * swaps it in whole, so a lookup never sees half of two dumps.
 */
export class InstrumentStore {
  #byToken = new Map<number, Instrument>();
  #refreshedAt: number | null = null;

  /** The instrument of a token, or undefined when the dump has none. */
  get(token: number): Instrument | undefined {
    return this.#byToken.get(token);
  }

  /** Number of instruments held. */
  get size(): number {
    return this.#byToken.size;
  }

  /** When the dump held now was fetched from Kite (epoch ms), or null before the first. */
  get refreshedAt(): number | null {
    return this.#refreshedAt;
  }

  /** Replaces every instrument with those of a dump fetched at `refreshedAt`. */
  replace(instruments: Iterable<Instrument>, refreshedAt: number): void {
    const next = new Map<number, Instrument>();
    for (const instrument of instruments) next.set(instrument.token, instrument);
    this.#byToken = next;
    this.#refreshedAt = refreshedAt;
  }
}
