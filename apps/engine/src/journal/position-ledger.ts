import { type SQL, sql } from "drizzle-orm";
import type { DatabaseHandle } from "../db/database.js";
import { executionJournal, signalJournal } from "../db/schema.js";

/** A net position: units bought minus units sold, by the engine's own fills. */
export interface Position {
  namespace: string;
  strategy_id: string;
  instrument_token: number;
  /** Positive long, negative short, units. */
  net_quantity: number;
}

/** An execution's units filled so far, from its journaled state. */
const FILLED = sql`(${executionJournal.state}->>'filledQuantity')::bigint`;

/** One execution's filled units at their average price (rupees), fees summed, in fill order. */
export interface JournaledFill {
  namespace: string;
  strategy_id: string;
  instrument_token: number;
  side: "BUY" | "SELL";
  quantity: number;
  price: number;
  fees: number;
}

/** Units: the filled net position (positive long), and what open orders may still add, by side. */
export interface Exposure {
  net: number;
  openBuy: number;
  openSell: number;
}

export interface PositionFilter {
  namespace?: string;
  strategyId?: string;
  instrumentToken?: number;
}

/**
 * Net positions per namespace, strategy and instrument, from the fills the journal holds (every
 * execution's filled quantity, final or still open, signed by its side). Read from the journal at
 * each call, so it is current with every instance's fills as soon as they are journaled, with no
 * cache to keep in step. Read-only.
 */
export class PositionLedger {
  readonly #db: DatabaseHandle;
  readonly #prefix: string;

  /** @param namespacePrefix the journal's namespace prefix (a shadow engine's), left out of answers */
  constructor(db: DatabaseHandle, namespacePrefix = "") {
    this.#db = db;
    this.#prefix = namespacePrefix;
  }

  /**
   * Positions matching the filter, flat ones left out.
   * @throws DatabaseUnavailableError (retryable) when the database cannot be reached
   */
  async positions(filter: PositionFilter = {}): Promise<Position[]> {
    const conditions = this.#filledMatching(filter);
    const rows = await this.#db.rows<{
      namespace: string;
      strategy_id: string;
      instrument_token: string | number;
      net_quantity: string | number;
    }>(sql`
      select ${executionJournal.namespace} as namespace, ${signalJournal.strategyId} as strategy_id,
        ${signalJournal.instrumentToken} as instrument_token,
        sum(case when ${signalJournal.signalType} = 'SELL' then -${FILLED} else ${FILLED} end) as net_quantity
      from ${executionJournal}
      join ${signalJournal} on ${signalJournal.signalId} = ${executionJournal.signalId}
      where ${sql.join(conditions, sql` and `)}
      group by 1, 2, 3
      order by 1, 2, 3`);
    return rows
      .map((row) => ({
        namespace: row.namespace.slice(this.#prefix.length),
        strategy_id: row.strategy_id,
        instrument_token: Number(row.instrument_token),
        net_quantity: Number(row.net_quantity),
      }))
      .filter((position) => position.net_quantity !== 0);
  }

  /** The net position of a strategy in an instrument on a namespace, 0 when flat. */
  async net(namespace: string, strategyId: string, instrumentToken: number): Promise<number> {
    const [position] = await this.positions({ namespace, strategyId, instrumentToken });
    return position?.net_quantity ?? 0;
  }

  /**
   * A strategy's exposure in an instrument on a namespace: the net position filled, and the units
   * still unfilled of its orders that went out (submitted, unknown, accepted, partly filled), by
   * side. What reduce-only judges by: an order is judged as if every open order filled.
   * @throws DatabaseUnavailableError (retryable) when the database cannot be reached
   */
  async exposure(
    namespace: string,
    strategyId: string,
    instrumentToken: number,
  ): Promise<Exposure> {
    const open = sql`(${executionJournal.state}->>'quantity')::bigint - ${FILLED}`;
    const [row] = await this.#db.rows<{
      net: string | number | null;
      open_buy: string | number | null;
      open_sell: string | number | null;
    }>(sql`
      select
        sum(case when ${signalJournal.signalType} = 'SELL' then -${FILLED} else ${FILLED} end) as net,
        sum(${open}) filter (where ${executionJournal.status} in ('submitted', 'unknown', 'accepted', 'partially_filled') and ${signalJournal.signalType} = 'BUY') as open_buy,
        sum(${open}) filter (where ${executionJournal.status} in ('submitted', 'unknown', 'accepted', 'partially_filled') and ${signalJournal.signalType} = 'SELL') as open_sell
      from ${executionJournal}
      join ${signalJournal} on ${signalJournal.signalId} = ${executionJournal.signalId}
      where ${executionJournal.namespace} = ${this.#prefix + namespace}
        and ${signalJournal.strategyId} = ${strategyId}
        and ${signalJournal.instrumentToken} = ${instrumentToken}`);
    return {
      net: Number(row?.net ?? 0),
      openBuy: Number(row?.open_buy ?? 0),
      openSell: Number(row?.open_sell ?? 0),
    };
  }

  /**
   * Every execution with units filled, oldest fill first (by when it ended, or its latest change
   * while still open): what realised P&L is computed from. `fees` sums the fees of its
   * `order_filled` events, 0 when the broker gave none.
   * @throws DatabaseUnavailableError (retryable) when the database cannot be reached
   */
  async fills(
    filter: Pick<PositionFilter, "namespace" | "strategyId"> = {},
  ): Promise<JournaledFill[]> {
    const conditions = this.#filledMatching(filter);
    const rows = await this.#db.rows<{
      namespace: string;
      strategy_id: string;
      instrument_token: string | number;
      signal_type: string;
      quantity: string | number;
      price: string | number | null;
      fees: string | number | null;
    }>(sql`
      select ${executionJournal.namespace} as namespace, ${signalJournal.strategyId} as strategy_id,
        ${signalJournal.instrumentToken} as instrument_token, ${signalJournal.signalType} as signal_type,
        ${FILLED} as quantity, (${executionJournal.state}->>'averagePrice')::float8 as price,
        (select sum((e->'event'->'data'->>'fees')::float8) from jsonb_array_elements(${executionJournal.events}) e
          where e->'event'->>'type' = 'order_filled') as fees
      from ${executionJournal}
      join ${signalJournal} on ${signalJournal.signalId} = ${executionJournal.signalId}
      where ${sql.join(conditions, sql` and `)}
      order by coalesce(${executionJournal.completedAt}, ${executionJournal.updatedAt}), ${executionJournal.signalId}`);
    return rows
      .filter((row) => row.price !== null)
      .map((row) => ({
        namespace: row.namespace.slice(this.#prefix.length),
        strategy_id: row.strategy_id,
        instrument_token: Number(row.instrument_token),
        side: row.signal_type === "SELL" ? ("SELL" as const) : ("BUY" as const),
        quantity: Number(row.quantity),
        price: Number(row.price),
        fees: Number(row.fees ?? 0),
      }));
  }

  /** Executions with units filled, of this engine's journal (its prefix), matching the filter. */
  #filledMatching(filter: PositionFilter): SQL[] {
    const conditions = [
      sql`${FILLED} > 0`,
      sql`starts_with(${executionJournal.namespace}, ${this.#prefix})`,
    ];
    if (filter.namespace !== undefined) {
      conditions.push(sql`${executionJournal.namespace} = ${this.#prefix + filter.namespace}`);
    }
    if (filter.strategyId !== undefined) {
      conditions.push(sql`${signalJournal.strategyId} = ${filter.strategyId}`);
    }
    if (filter.instrumentToken !== undefined) {
      conditions.push(sql`${signalJournal.instrumentToken} = ${filter.instrumentToken}`);
    }
    return conditions;
  }
}
