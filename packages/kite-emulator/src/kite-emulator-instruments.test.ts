import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_INSTRUMENTS } from "./instruments/default-instruments.js";
import { KiteEmulator } from "./kite-emulator.js";
import { clientFor } from "./test-support/kite-client.js";

const AUTH = {
  "X-Kite-Version": "3",
  Authorization: "token kite_emulator_key:kite_emulator_token",
};

let emulator: KiteEmulator | undefined;

afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

describe("instrument dump", () => {
  it("serves CSV that the real client parses, with tokens as strings and prices as numbers", async () => {
    emulator = new KiteEmulator();
    await emulator.start();
    const rows = (await clientFor(emulator).getInstruments()) as unknown as Record<
      string,
      unknown
    >[];
    // The trailing newline becomes one empty last row in the client's CSV parse.
    expect(rows).toHaveLength(DEFAULT_INSTRUMENTS.length + 1);
    expect(rows.at(-1)?.instrument_token).toBe("");
    expect(rows[0]).toEqual({
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
    });
    const future = rows.find((row) => row.tradingsymbol === "NIFTY26APRFUT");
    // A 10-character expiry becomes a Date.
    expect(future?.expiry).toBeInstanceOf(Date);
  });

  it("serves one exchange with exactly text/csv and a trailing newline", async () => {
    emulator = new KiteEmulator();
    await emulator.start();
    const response = await fetch(`${emulator.url}/instruments/NFO`, { headers: AUTH });
    expect(response.headers.get("content-type")).toBe("text/csv");
    const text = await response.text();
    expect(text.split("\n")).toEqual([
      "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange",
      "13238786,51714,NIFTY26APRFUT,NIFTY,24150.5,2026-04-28,0,0.1,65,FUT,NFO-FUT,NFO",
      "",
    ]);
  });

  it("serves about 100k synthetic rows quickly", async () => {
    emulator = new KiteEmulator({ syntheticInstruments: 100_000 });
    await emulator.start();
    expect(emulator.instrumentCount).toBe(DEFAULT_INSTRUMENTS.length + 100_000);
    const started = performance.now();
    const first = await (await fetch(`${emulator.url}/instruments`, { headers: AUTH })).text();
    const firstMs = performance.now() - started;
    expect(first.split("\n")).toHaveLength(DEFAULT_INSTRUMENTS.length + 100_000 + 2);
    expect(firstMs).toBeLessThan(3_000);

    // A synthetic instrument is tradable.
    const kite = clientFor(emulator);
    const { order_id } = await kite.placeOrder("regular", {
      exchange: "NSE",
      tradingsymbol: "SYN0100000",
      transaction_type: "BUY",
      quantity: 1,
      product: "MIS",
      order_type: "LIMIT",
      price: 5000,
    });
    expect(order_id).toMatch(/^\d{15}$/);
  });
});
