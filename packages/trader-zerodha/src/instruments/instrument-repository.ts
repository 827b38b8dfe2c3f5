import type { SqlPort } from "@engine/core";
import { z } from "zod";
import type { Instrument } from "./instrument.js";

/** Rows per INSERT: few round trips, yet parameter arrays of a reasonable size. */
const CHUNK_SIZE = 10_000;

const SCHEMA = [
  `create table if not exists zerodha_instruments (
     generation bigint not null,
     instrument_token bigint not null,
     exchange text not null,
     tradingsymbol text not null,
     lot_size integer not null,
     tick_size double precision not null,
     primary key (generation, instrument_token)
   )`,
  `create table if not exists zerodha_instruments_meta (
     id integer primary key check (id = 1),
     generation bigint not null,
     refreshed_at timestamptz not null,
     row_count integer not null
   )`,
];

// Drivers differ: node-postgres returns bigint as a string, PGlite as a number.
const Integer = z
  .union([z.number(), z.string(), z.bigint()])
  .transform(Number)
  .pipe(z.number().int());

const MetaRow = z.object({
  generation: Integer,
  refreshed_at: z.union([z.date(), z.string()]).transform((value) => new Date(value).getTime()),
});

/**
 * One stored row as an instrument. Checked by hand rather than with a schema: a dump is ~100k
 * rows, and this runs on every start.
 */
function instrumentOf(row: Record<string, unknown>): Instrument {
  const token = Number(row.instrument_token);
  const lotSize = Number(row.lot_size);
  const tickSize = Number(row.tick_size);
  const { exchange, tradingsymbol } = row;
  if (
    !Number.isSafeInteger(token) ||
    !Number.isSafeInteger(lotSize) ||
    !(tickSize > 0) ||
    typeof exchange !== "string" ||
    typeof tradingsymbol !== "string"
  ) {
    throw new Error(
      `malformed row in zerodha_instruments (instrument_token ${String(row.instrument_token)})`,
    );
  }
  return { token, exchange, tradingsymbol, lotSize, tickSize };
}

/** The dump stored in the database, and when it was fetched. */
export interface StoredInstruments {
  instruments: Instrument[];
  refreshedAt: number;
}

/**
 * The instrument dump in PostgreSQL, so a restart during the day need not download ~100k rows
 * again. `SqlPort` has no transactions (a pooled connection per statement), so a dump is written
 * as a new *generation*: its rows go in first, chunk by chunk, then one statement points the meta
 * row at it, then older generations are deleted. Readers follow the meta row, so they see one
 * whole dump or the previous one, never a mix; a crash mid-write leaves only unreferenced rows,
 * which the next refresh deletes. Generations are the fetch time, and the meta row only moves
 * forward, so two instances refreshing at once cannot leave it pointing at a partial dump.
 */
export class InstrumentRepository {
  readonly #sql: SqlPort;
  #ready: Promise<void> | undefined;

  constructor(sql: SqlPort) {
    this.#sql = sql;
  }

  /** Creates the tables when missing. */
  ensureSchema(): Promise<void> {
    this.#ready ??= (async () => {
      for (const statement of SCHEMA) await this.#sql.query(statement);
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** When the stored dump was fetched (epoch ms), or null when there is none. */
  async refreshedAt(): Promise<number | null> {
    await this.ensureSchema();
    const { rows } = await this.#sql.query(
      "select generation, refreshed_at from zerodha_instruments_meta where id = 1",
    );
    return rows[0] === undefined ? null : MetaRow.parse(rows[0]).refreshed_at;
  }

  /** The stored dump, or null when there is none. */
  async load(): Promise<StoredInstruments | null> {
    await this.ensureSchema();
    const meta = await this.#sql.query(
      "select generation, refreshed_at from zerodha_instruments_meta where id = 1",
    );
    if (meta.rows[0] === undefined) return null;
    const { generation, refreshed_at } = MetaRow.parse(meta.rows[0]);
    const { rows } = await this.#sql.query(
      `select instrument_token, exchange, tradingsymbol, lot_size, tick_size
         from zerodha_instruments where generation = $1::bigint`,
      [generation],
    );
    const instruments = rows.map(instrumentOf);
    return { instruments, refreshedAt: refreshed_at };
  }

  /** Stores a dump fetched at `refreshedAt` (epoch ms) as the current one. */
  async save(instruments: readonly Instrument[], refreshedAt: number): Promise<void> {
    await this.ensureSchema();
    const generation = refreshedAt;
    for (let start = 0; start < instruments.length; start += CHUNK_SIZE) {
      const chunk = instruments.slice(start, start + CHUNK_SIZE);
      await this.#sql.query(
        `insert into zerodha_instruments
           (generation, instrument_token, exchange, tradingsymbol, lot_size, tick_size)
         select $1::bigint, * from unnest($2::bigint[], $3::text[], $4::text[], $5::integer[], $6::float8[])
         on conflict do nothing`,
        [
          generation,
          chunk.map((row) => row.token),
          chunk.map((row) => row.exchange),
          chunk.map((row) => row.tradingsymbol),
          chunk.map((row) => row.lotSize),
          chunk.map((row) => row.tickSize),
        ],
      );
    }
    await this.#sql.query(
      `insert into zerodha_instruments_meta (id, generation, refreshed_at, row_count)
       values (1, $1::bigint, $2::timestamptz, $3::integer)
       on conflict (id) do update
         set generation = excluded.generation,
             refreshed_at = excluded.refreshed_at,
             row_count = excluded.row_count
         where zerodha_instruments_meta.generation < excluded.generation`,
      [generation, new Date(refreshedAt).toISOString(), instruments.length],
    );
    await this.#sql.query(
      `delete from zerodha_instruments
        where generation < (select generation from zerodha_instruments_meta where id = 1)`,
    );
  }
}
