import type { SqlPort } from "@engine/core";
import { z } from "zod";
import { fromMasterRow, type UpstoxInstrument } from "./upstox-instrument.js";

const SCHEMA = `create table if not exists upstox_instruments (
  instrument_key text primary key,
  segment text not null,
  exchange_token text not null,
  trading_symbol text not null,
  lot_size integer not null,
  refreshed_at timestamptz not null
)`;

const Row = z
  .object({
    instrument_key: z.string(),
    segment: z.string(),
    exchange_token: z.string(),
    trading_symbol: z.string(),
    lot_size: z.union([z.number(), z.string()]).transform(Number),
  })
  .transform(fromMasterRow);

const BATCH = 500;

/**
 * Upstox's instrument master in PostgreSQL (`upstox_instruments`), so a restart on a day the
 * master cannot be downloaded still maps instruments. Rows are upserted with the refresh time and
 * the older ones deleted after, so a reader never sees an empty table mid-refresh.
 */
export class InstrumentTable {
  readonly #sql: SqlPort;
  #ready: Promise<unknown> | undefined;

  constructor(sql: SqlPort) {
    this.#sql = sql;
  }

  /** Replaces the stored master with `rows`. Rejects when the database cannot be written. */
  async save(rows: readonly UpstoxInstrument[], at: Date): Promise<void> {
    await this.#schema();
    for (let start = 0; start < rows.length; start += BATCH) {
      const batch = rows.slice(start, start + BATCH);
      const params: unknown[] = [];
      for (const row of batch) {
        params.push(
          row.instrumentKey,
          row.segment,
          row.exchangeToken,
          row.tradingSymbol,
          row.lotSize,
        );
      }
      const tuples = batch.map((_, i) => {
        const n = i * 5;
        return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${batch.length * 5 + 1})`;
      });
      await this.#sql.query(
        `insert into upstox_instruments
           (instrument_key, segment, exchange_token, trading_symbol, lot_size, refreshed_at)
         values ${tuples.join(", ")}
         on conflict (instrument_key) do update set
           segment = excluded.segment, exchange_token = excluded.exchange_token,
           trading_symbol = excluded.trading_symbol, lot_size = excluded.lot_size,
           refreshed_at = excluded.refreshed_at`,
        [...params, at.toISOString()],
      );
    }
    await this.#sql.query("delete from upstox_instruments where refreshed_at < $1", [
      at.toISOString(),
    ]);
  }

  /** The stored master (empty when never saved). Rejects when the database cannot be read. */
  async load(): Promise<UpstoxInstrument[]> {
    await this.#schema();
    const { rows } = await this.#sql.query(
      "select instrument_key, segment, exchange_token, trading_symbol, lot_size from upstox_instruments",
    );
    return rows.map((row) => Row.parse(row));
  }

  #schema(): Promise<unknown> {
    this.#ready ??= this.#sql.query(SCHEMA).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }
}
