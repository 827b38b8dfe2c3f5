import { PGlite } from "@electric-sql/pglite";
import { FakeClock } from "@engine/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KiteInstrumentRegistry } from "./kite-instrument-registry.js";

// Each PGlite boots a database in process: seconds on a busy machine.
describe("KiteInstrumentRegistry", { timeout: 30_000 }, () => {
  const db = new PGlite();
  const sql = {
    query: <T>(text: string, params?: readonly unknown[]) => db.query<T>(text, params as unknown[]),
  };

  beforeAll(async () => {
    // The Zerodha package's tables, as it creates them.
    await db.exec(`
      create table zerodha_instruments (generation bigint not null, instrument_token bigint not null,
        exchange text not null, tradingsymbol text not null, lot_size integer not null,
        tick_size double precision not null, primary key (generation, instrument_token));
      create table zerodha_instruments_meta (id integer primary key, generation bigint not null,
        refreshed_at timestamptz not null, row_count integer not null);
      insert into zerodha_instruments values (1, 738561, 'NSE', 'OLDNAME', 1, 0.05),
        (2, 738561, 'NSE', 'RELIANCE', 1, 0.05), (2, 13238786, 'NFO', 'NIFTY26DECFUT', 75, 0.1);
      insert into zerodha_instruments_meta values (1, 2, now(), 2);`);
  }, 30_000);

  afterAll(() => db.close());

  it("answers the current generation's instrument with the exchange token from Kite's token", async () => {
    const registry = new KiteInstrumentRegistry(sql);
    expect(await registry.lookup(738561)).toEqual({
      instrumentToken: 738561,
      exchange: "NSE",
      exchangeToken: 2885,
      tradingSymbol: "RELIANCE",
      lotSize: 1,
      tickSize: 0.05,
    });
    expect(await registry.lookup(13238786)).toMatchObject({
      exchange: "NFO",
      exchangeToken: 51714,
      lotSize: 75,
    });
    expect(await registry.lookup(1)).toBeNull();
  });

  it("reads an instrument once for lookups of it at once", async () => {
    let queries = 0;
    const registry = new KiteInstrumentRegistry({
      query: <T>(text: string, params?: readonly unknown[]) => {
        queries += 1;
        return db.query<T>(text, params as unknown[]);
      },
    });
    const answers = await Promise.all(Array.from({ length: 50 }, () => registry.lookup(738561)));
    expect(new Set(answers.map((info) => info?.tradingSymbol))).toEqual(new Set(["RELIANCE"]));
    expect(queries).toBe(1);
  });

  it("caches answers for five minutes", async () => {
    const clock = new FakeClock(0);
    const registry = new KiteInstrumentRegistry(sql, clock);
    expect(await registry.lookup(408065)).toBeNull();
    await db.exec("insert into zerodha_instruments values (2, 408065, 'NSE', 'INFY', 1, 0.05)");
    expect(await registry.lookup(408065)).toBeNull();
    clock.advance(5 * 60_000 + 1);
    expect((await registry.lookup(408065))?.tradingSymbol).toBe("INFY");
  });

  it("knows nothing, without failing, where the Zerodha package never stored a dump", async () => {
    const empty = new PGlite();
    try {
      const registry = new KiteInstrumentRegistry({
        query: <T>(text: string, params?: readonly unknown[]) =>
          empty.query<T>(text, params as unknown[]),
      });
      expect(await registry.lookup(738561)).toBeNull();
    } finally {
      await empty.close();
    }
  });
});
