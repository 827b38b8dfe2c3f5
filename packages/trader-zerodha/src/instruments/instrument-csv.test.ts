import {
  DEFAULT_INSTRUMENTS,
  generateSyntheticInstruments,
  renderInstrumentsCsv,
} from "@engine/kite-emulator";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instrumentFromRow, instrumentsFromDump, parseInstrumentsCsv } from "./instrument-csv.js";

describe("instrument rows", () => {
  it("reads rows as kiteconnect 5.3.0 returns them: token as a string, sizes as numbers", () => {
    const row = {
      instrument_token: "738561",
      exchange_token: "2885",
      tradingsymbol: "RELIANCE",
      name: "RELIANCE INDUSTRIES",
      last_price: 1425.3,
      expiry: "",
      strike: 0,
      tick_size: 0.05,
      lot_size: 1,
      instrument_type: "EQ",
      segment: "NSE",
      exchange: "NSE",
    };
    expect(instrumentFromRow(row, "NSE")).toEqual({
      token: 738561,
      exchange: "NSE",
      tradingsymbol: "RELIANCE",
      lotSize: 1,
      tickSize: 0.05,
    });
  });

  it("reads every field as a string too, and fills gaps with safe defaults", () => {
    expect(
      instrumentFromRow(
        {
          instrument_token: "13238786",
          tradingsymbol: "NIFTY26APRFUT",
          lot_size: "65",
          tick_size: "0.1",
          exchange: "nfo",
        },
        "NSE",
      ),
    ).toEqual({
      token: 13238786,
      exchange: "NFO",
      tradingsymbol: "NIFTY26APRFUT",
      lotSize: 65,
      tickSize: 0.1,
    });
    expect(
      instrumentFromRow({ instrument_token: 5, tradingsymbol: "X", lot_size: Number.NaN }, "BSE"),
    ).toEqual({
      token: 5,
      exchange: "BSE",
      tradingsymbol: "X",
      lotSize: 1,
      tickSize: 0.05,
    });
  });

  it.each([
    [{ instrument_token: "", tradingsymbol: "X" }],
    [{ instrument_token: "abc", tradingsymbol: "X" }],
    [{ instrument_token: "-4", tradingsymbol: "X" }],
    [{ instrument_token: "12.5", tradingsymbol: "X" }],
    [{ instrument_token: "7", tradingsymbol: "" }],
    [null],
    ["7,X"],
  ])("drops an unusable row %#", (row) => {
    expect(instrumentFromRow(row, "NSE")).toBeNull();
  });

  it("never throws and never returns a bad instrument, whatever a row holds", () => {
    const anything = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(
        fc.record({
          instrument_token: anything,
          tradingsymbol: anything,
          lot_size: anything,
          tick_size: anything,
          exchange: anything,
        }),
        (row) => {
          const instrument = instrumentFromRow(row, "NSE");
          if (instrument === null) return;
          expect(Number.isSafeInteger(instrument.token) && instrument.token > 0).toBe(true);
          expect(Number.isSafeInteger(instrument.lotSize) && instrument.lotSize > 0).toBe(true);
          expect(instrument.tickSize).toBeGreaterThan(0);
          expect(instrument.tradingsymbol).not.toBe("");
          expect(instrument.exchange).not.toBe("");
        },
      ),
    );
  });
});

describe("raw instrument CSV", () => {
  it("parses Kite's CSV, quoted fields and the trailing newline included", () => {
    const [reliance] = DEFAULT_INSTRUMENTS;
    if (reliance === undefined) throw new Error("the emulator lists no instrument");
    const csv = renderInstrumentsCsv([
      ...DEFAULT_INSTRUMENTS,
      { ...reliance, instrument_token: 42, tradingsymbol: "QUOTED", name: 'A "B", C' },
    ]);
    const parsed = parseInstrumentsCsv(csv, "NSE");
    expect(parsed.skipped).toBe(0);
    expect(parsed.instruments).toHaveLength(DEFAULT_INSTRUMENTS.length + 1);
    expect(parsed.instruments.find((row) => row.token === 13238786)).toEqual({
      token: 13238786,
      exchange: "NFO",
      tradingsymbol: "NIFTY26APRFUT",
      lotSize: 65,
      tickSize: 0.1,
    });
    expect(parsed.instruments.at(-1)).toMatchObject({
      token: 42,
      tradingsymbol: "QUOTED",
      exchange: "NSE",
    });
  });

  it("finds columns by name, whatever their order", () => {
    const csv = "exchange,lot_size,tradingsymbol,instrument_token\r\nNFO,50,BANKX,99\r\n";
    expect(parseInstrumentsCsv(csv, "NSE").instruments).toEqual([
      { token: 99, exchange: "NFO", tradingsymbol: "BANKX", lotSize: 50, tickSize: 0.05 },
    ]);
  });

  it("takes parsed rows or CSV text, and nothing else", () => {
    const csv = renderInstrumentsCsv(generateSyntheticInstruments(3));
    expect(instrumentsFromDump(csv, "NSE")?.instruments).toHaveLength(3);
    expect(instrumentsFromDump([{ instrument_token: "" }], "NSE")).toEqual({
      instruments: [],
      skipped: 0,
    });
    expect(instrumentsFromDump({ error_type: "DataException" }, "NSE")).toBeNull();
  });

  it("parses a 100k-row dump quickly", () => {
    const csv = renderInstrumentsCsv(generateSyntheticInstruments(100_000));
    const started = performance.now();
    const parsed = parseInstrumentsCsv(csv, "NSE");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(parsed.instruments).toHaveLength(100_000);
  });
});
