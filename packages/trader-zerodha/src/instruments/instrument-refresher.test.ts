import { silentLogger } from "@engine/core";
import { FakeClock } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import type { Instrument } from "./instrument.js";
import { type InstrumentPersistence, InstrumentRefresher } from "./instrument-refresher.js";
import type { StoredInstruments } from "./instrument-repository.js";
import { InstrumentStore } from "./instrument-store.js";

const RELIANCE: Instrument = {
  token: 738561,
  exchange: "NSE",
  tradingsymbol: "RELIANCE",
  lotSize: 1,
  tickSize: 0.05,
};
const INFY: Instrument = {
  token: 408065,
  exchange: "NSE",
  tradingsymbol: "INFY",
  lotSize: 1,
  tickSize: 0.05,
};

/** A database held in memory. */
class MemoryPersistence implements InstrumentPersistence {
  stored: StoredInstruments | null = null;
  loads = 0;
  failing = false;

  async refreshedAt(): Promise<number | null> {
    if (this.failing) throw new Error("database down");
    return this.stored?.refreshedAt ?? null;
  }
  async load(): Promise<StoredInstruments | null> {
    this.loads += 1;
    return this.stored;
  }
  async save(instruments: readonly Instrument[], refreshedAt: number): Promise<void> {
    this.stored = { instruments: [...instruments], refreshedAt };
  }
}

function refresher(options: {
  now: string;
  persistence?: MemoryPersistence | null;
  fetch?: () => Promise<Instrument[]>;
}) {
  const store = new InstrumentStore();
  let fetches = 0;
  const instance = new InstrumentRefresher({
    store,
    repository: options.persistence ?? null,
    fetchDump: async () => {
      fetches += 1;
      return (options.fetch ?? (async () => [RELIANCE, INFY]))();
    },
    clock: new FakeClock(options.now),
    logger: silentLogger,
  });
  return { instance, store, fetches: () => fetches };
}

describe("InstrumentRefresher", () => {
  it.each([
    // [now, stored at, fetches]: a dump from before the latest 08:00 IST is stale.
    ["2026-11-25T03:00:00Z", "2026-11-25T02:45:00Z", 0], // 08:30 IST, stored 08:15 IST today
    ["2026-11-25T03:00:00Z", "2026-11-25T02:15:00Z", 1], // stored 07:45 IST: yesterday's dump
    ["2026-11-25T01:00:00Z", "2026-11-24T03:00:00Z", 0], // 06:30 IST: yesterday 08:30 still current
    ["2026-11-25T01:00:00Z", "2026-11-24T02:00:00Z", 1], // 06:30 IST, stored yesterday 07:30 IST
  ])("at %s with a dump stored at %s downloads %i time(s)", async (now, storedAt, expected) => {
    const persistence = new MemoryPersistence();
    persistence.stored = { instruments: [RELIANCE], refreshedAt: Date.parse(storedAt) };
    const { instance, store, fetches } = refresher({ now, persistence });
    expect(await instance.load()).toBe(true);
    expect(fetches()).toBe(expected);
    expect(store.size).toBe(expected === 0 ? 1 : 2);
    if (expected === 1) expect(persistence.stored?.refreshedAt).toBe(Date.parse(now));
  });

  it("downloads when nothing is stored, and keeps memory only without a database", async () => {
    const { instance, store, fetches } = refresher({ now: "2026-11-25T05:00:00Z" });
    expect(await instance.load()).toBe(true);
    expect(fetches()).toBe(1);
    expect(store.get(738561)).toEqual(RELIANCE);
  });

  it("falls back to a stale stored dump when Kite cannot be reached", async () => {
    const persistence = new MemoryPersistence();
    persistence.stored = {
      instruments: [RELIANCE],
      refreshedAt: Date.parse("2026-11-20T03:00:00Z"),
    };
    const { instance, store } = refresher({
      now: "2026-11-25T05:00:00Z",
      persistence,
      fetch: async () => {
        throw new Error("Kite down");
      },
    });
    expect(await instance.load()).toBe(true);
    expect(store.size).toBe(1);
  });

  it("reports failure when neither Kite nor the database has a dump", async () => {
    const persistence = new MemoryPersistence();
    persistence.failing = true;
    const { instance, store } = refresher({
      now: "2026-11-25T05:00:00Z",
      persistence,
      fetch: async () => [],
    });
    expect(await instance.load()).toBe(false);
    expect(store.size).toBe(0);
  });

  it("downloads when the database cannot be read", async () => {
    const persistence = new MemoryPersistence();
    persistence.failing = true;
    const { instance, store } = refresher({ now: "2026-11-25T05:00:00Z", persistence });
    expect(await instance.load()).toBe(true);
    expect(store.size).toBe(2);
  });
});
