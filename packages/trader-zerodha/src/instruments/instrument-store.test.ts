import { generateSyntheticInstruments } from "@engine/kite-emulator";
import { describe, expect, it } from "vitest";
import { instrumentsFromRows } from "./instrument-csv.js";
import { InstrumentStore } from "./instrument-store.js";

describe("InstrumentStore", () => {
  it("looks 100k instruments up in constant time", () => {
    const rows = generateSyntheticInstruments(100_000).map((row) => ({
      ...row,
      instrument_token: String(row.instrument_token),
    }));
    const store = new InstrumentStore();
    store.replace(instrumentsFromRows(rows, "NSE").instruments, 1);
    expect(store.size).toBe(100_000);
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) store.get(900_000_000 + ((i * 7919) % 100_000));
    // A million lookups in well under a second: a hash map, not a scan.
    expect(performance.now() - started).toBeLessThan(500);
    expect(store.get(900_099_999)).toMatchObject({ tradingsymbol: "SYN0100000", lotSize: 1 });
    expect(store.get(1)).toBeUndefined();
  });

  it("swaps a refresh in whole", () => {
    const store = new InstrumentStore();
    store.replace(
      [{ token: 1, exchange: "NSE", tradingsymbol: "A", lotSize: 1, tickSize: 0.05 }],
      10,
    );
    store.replace(
      [{ token: 2, exchange: "NSE", tradingsymbol: "B", lotSize: 1, tickSize: 0.05 }],
      20,
    );
    expect(store.get(1)).toBeUndefined();
    expect(store.get(2)?.tradingsymbol).toBe("B");
    expect(store.refreshedAt).toBe(20);
  });
});
