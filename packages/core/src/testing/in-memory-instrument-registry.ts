import type { InstrumentInfo, InstrumentRegistry } from "../ports/instrument-registry.js";

/** An instrument registry held in memory, with a switch to make lookups fail. */
export class InMemoryInstrumentRegistry implements InstrumentRegistry {
  readonly #byToken = new Map<number, InstrumentInfo>();
  /** When set, every lookup rejects with this error. */
  failure: Error | null = null;

  constructor(instruments: Iterable<InstrumentInfo> = []) {
    for (const instrument of instruments) this.#byToken.set(instrument.instrumentToken, instrument);
  }

  async lookup(instrumentToken: number): Promise<InstrumentInfo | null> {
    if (this.failure) throw this.failure;
    return this.#byToken.get(instrumentToken) ?? null;
  }
}
