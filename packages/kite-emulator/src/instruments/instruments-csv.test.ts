import { describe, expect, it } from "vitest";
import { DEFAULT_INSTRUMENTS } from "./default-instruments.js";
import { renderInstrumentsCsv } from "./instruments-csv.js";
import { generateSyntheticInstruments } from "./synthetic-instruments.js";

describe("renderInstrumentsCsv", () => {
  it("quotes fields that need it", () => {
    const [row] = DEFAULT_INSTRUMENTS;
    if (row === undefined) throw new Error("no default instruments");
    const csv = renderInstrumentsCsv([{ ...row, name: 'A, "B"' }]);
    expect(csv.split("\n")[1]).toBe('738561,2885,RELIANCE,"A, ""B""",1425.3,,0,0.05,1,EQ,NSE,NSE');
  });

  it("generates unique synthetic symbols and tokens", () => {
    const rows = generateSyntheticInstruments(1_000);
    expect(new Set(rows.map((row) => row.tradingsymbol)).size).toBe(1_000);
    expect(new Set(rows.map((row) => row.instrument_token)).size).toBe(1_000);
    expect(rows[0]?.tradingsymbol).toBe("SYN0000001");
  });
});
