import {
  type Clock,
  type InstrumentInfo,
  type InstrumentRegistry,
  SingleFlight,
  type SqlPort,
  systemClock,
} from "@engine/core";
import { z } from "zod";

/** How long an answer (found or not) is trusted before the table is read again. */
const TTL_MS = 5 * 60_000;

// Drivers differ: node-postgres returns bigint and numeric as strings, PGlite as numbers.
const Num = z.union([z.number(), z.string()]).transform(Number);
const Row = z.object({
  exchange: z.string().min(1),
  tradingsymbol: z.string().min(1),
  lot_size: Num.pipe(z.number().int().positive()),
  tick_size: Num.pipe(z.number().positive()),
});

/**
 * The platform's instrument registry on the instrument dump the Zerodha package already keeps
 * (`zerodha_instruments`, the generation its meta row points at): signals carry Kite's tokens, so
 * Kite's dump is the platform's list. Kite's `instrument_token` holds the exchange token in its
 * upper bits (`token >> 8`), which is what another broker maps through. The engine reads the
 * table so that no trader reads another trader's tables. Answers are cached for five minutes, and
 * lookups of one instrument at once share one query (a burst of signals on an instrument not
 * cached yet would otherwise take every connection of the pool).
 *
 * Until the Zerodha package has stored a dump (it never ran on this database), every instrument
 * is unknown (null), not an outage.
 */
export class KiteInstrumentRegistry implements InstrumentRegistry {
  readonly #sql: SqlPort;
  readonly #clock: Clock;
  readonly #cache = new Map<number, { info: InstrumentInfo | null; until: number }>();
  readonly #reads = new SingleFlight<number, InstrumentInfo | null>();

  constructor(sql: SqlPort, clock: Clock = systemClock) {
    this.#sql = sql;
    this.#clock = clock;
  }

  /** @throws the driver's error when the database cannot be read. */
  async lookup(instrumentToken: number): Promise<InstrumentInfo | null> {
    const now = this.#clock.now();
    const cached = this.#cache.get(instrumentToken);
    if (cached !== undefined && cached.until > now) return cached.info;
    const info = await this.#reads.run(instrumentToken, () => this.#read(instrumentToken));
    this.#cache.set(instrumentToken, { info, until: now + TTL_MS });
    return info;
  }

  async #read(instrumentToken: number): Promise<InstrumentInfo | null> {
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await this.#sql.query(
        `select i.exchange, i.tradingsymbol, i.lot_size, i.tick_size
           from zerodha_instruments i
           join zerodha_instruments_meta m on m.generation = i.generation
          where i.instrument_token = $1`,
        [instrumentToken],
      ));
    } catch (error) {
      // 42P01 undefined_table: no dump was ever stored here.
      if ((error as { code?: unknown }).code === "42P01") return null;
      throw error;
    }
    const row = Row.safeParse(rows[0]);
    if (!row.success) return null;
    return {
      instrumentToken,
      exchange: row.data.exchange,
      exchangeToken: Math.floor(instrumentToken / 256),
      tradingSymbol: row.data.tradingsymbol,
      lotSize: row.data.lot_size,
      tickSize: row.data.tick_size,
    };
  }
}
