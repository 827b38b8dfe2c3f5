import { generateSyntheticInstruments, type KiteEmulator } from "@engine/kite-emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Instrument } from "../../src/instruments/instrument.js";
import { InstrumentRepository } from "../../src/instruments/instrument-repository.js";
import { startEmulator, submit, todaysSignal, traderFor } from "../../src/test-support/harness.js";
import { pgliteSql } from "../../src/test-support/pglite-sql.js";
import type { ZerodhaTrader } from "../../src/zerodha-trader.js";

let db: Awaited<ReturnType<typeof pgliteSql>>;

// One database for the file (PGlite takes seconds to start); each test starts from no tables.
// The trader's own use of it is tested here too, to start PGlite once.
beforeAll(async () => {
  db = await pgliteSql();
}, 30_000);

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await db.sql.query("drop table if exists zerodha_instruments");
  await db.sql.query("drop table if exists zerodha_instruments_meta");
});

const synthetic = (count: number, firstToken = 900_000_000): Instrument[] =>
  generateSyntheticInstruments(count, { firstToken }).map((row) => ({
    token: row.instrument_token,
    exchange: row.exchange,
    tradingsymbol: row.tradingsymbol,
    lotSize: row.lot_size,
    tickSize: row.tick_size,
  }));

describe("InstrumentRepository", () => {
  it("has no dump before the first save", async () => {
    const repository = new InstrumentRepository(db.sql);
    expect(await repository.refreshedAt()).toBeNull();
    expect(await repository.load()).toBeNull();
  });

  it("stores and loads a dump with its refresh time", async () => {
    const repository = new InstrumentRepository(db.sql);
    const instruments: Instrument[] = [
      { token: 738561, exchange: "NSE", tradingsymbol: "RELIANCE", lotSize: 1, tickSize: 0.05 },
      {
        token: 13238786,
        exchange: "NFO",
        tradingsymbol: "NIFTY26APRFUT",
        lotSize: 65,
        tickSize: 0.1,
      },
      {
        token: 2_000_000_000_000,
        exchange: "MCX",
        tradingsymbol: "BIG",
        lotSize: 1,
        tickSize: 0.0025,
      },
    ];
    await repository.save(instruments, Date.parse("2026-11-25T03:05:00Z"));
    expect(await repository.refreshedAt()).toBe(Date.parse("2026-11-25T03:05:00Z"));
    const loaded = await repository.load();
    expect(loaded?.instruments.sort((a, b) => a.token - b.token)).toEqual(instruments);
  });

  it("replaces the previous dump whole and deletes its rows", async () => {
    const repository = new InstrumentRepository(db.sql);
    await repository.save(synthetic(50), 1_000);
    await repository.save(synthetic(20, 800_000_000), 2_000);
    const loaded = await repository.load();
    expect(loaded?.refreshedAt).toBe(2_000);
    expect(loaded?.instruments).toHaveLength(20);
    expect(loaded?.instruments.every((row) => row.token < 900_000_000)).toBe(true);
    const { rows } = await db.sql.query<{ n: number }>(
      "select count(*)::int as n from zerodha_instruments",
    );
    expect(rows[0]?.n).toBe(20);
  });

  it("never moves back to an older dump (two instances refreshing at once)", async () => {
    const repository = new InstrumentRepository(db.sql);
    await repository.save(synthetic(5), 2_000);
    await repository.save(synthetic(7, 700_000_000), 1_000);
    const loaded = await repository.load();
    expect(loaded?.refreshedAt).toBe(2_000);
    expect(loaded?.instruments).toHaveLength(5);
  });

  it("writes a dump larger than one chunk", async () => {
    const repository = new InstrumentRepository(db.sql);
    await repository.save(synthetic(25_000), Date.now());
    const loaded = await repository.load();
    expect(loaded?.instruments).toHaveLength(25_000);
    expect(new Set(loaded?.instruments.map((row) => row.token)).size).toBe(25_000);
  }, 30_000);
});

describe("InstrumentRepository through the trader", () => {
  let emulator: KiteEmulator | undefined;
  const traders: ZerodhaTrader[] = [];

  afterEach(async () => {
    await Promise.all(traders.splice(0).map((trader) => trader.shutdown()));
    await emulator?.stop();
  });

  const dumpDownloads = (emu: KiteEmulator) => emu.stats().requestsByPath["GET /instruments"] ?? 0;

  it("downloads a 100k-row dump once, keeps it in PostgreSQL, and trades from it after a restart", async () => {
    emulator = await startEmulator({ syntheticInstruments: 100_000 });
    const first = traderFor(emulator, {}, { sql: db.sql }).trader;
    traders.push(first);
    expect(await first.initialize()).toBe(true);
    expect(dumpDownloads(emulator)).toBe(1);
    const { rows } = await db.sql.query<{ n: number }>(
      "select row_count as n from zerodha_instruments_meta",
    );
    expect(rows[0]?.n).toBe(100_012);
    await first.shutdown();

    // A restart the same day reads the stored dump instead of downloading it again.
    const second = traderFor(emulator, {}, { sql: db.sql }).trader;
    traders.push(second);
    expect(await second.initialize()).toBe(true);
    expect(dumpDownloads(emulator)).toBe(1);
    const result = await submit(
      second,
      todaysSignal({ id: "sig-syn", instrumentToken: 900_099_999 }),
    );
    expect(result.kind).toBe("placed");
    expect(emulator.orders()[0]?.tradingsymbol).toBe("SYN0100000");
  }, 60_000);
});
