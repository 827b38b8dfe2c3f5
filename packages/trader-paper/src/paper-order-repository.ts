import { type Clock, errorMessage, type Logger, type SqlPort } from "@engine/core";
import pRetry from "p-retry";
import { z } from "zod";
import type { PaperOrder } from "./paper-order.js";

/** How long an ended order is kept in the database: over a long weekend of downtime. */
export const ENDED_ORDER_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** How often, at most, ended orders past their retention are deleted. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

const SCHEMA = [
  `create table if not exists paper_orders (
     client_order_id text primary key,
     namespace text not null,
     instrument_token bigint not null,
     side text not null check (side in ('BUY', 'SELL')),
     quantity integer not null,
     limit_price double precision,
     slippage_bps double precision not null,
     status text not null check (status in ('accepted', 'filled', 'cancelled')),
     average_price double precision,
     fees double precision,
     created_at timestamptz not null,
     updated_at timestamptz not null,
     message text
   )`,
  `create index if not exists paper_orders_resting on paper_orders (namespace)
     where status = 'accepted'`,
  `create index if not exists paper_orders_ended on paper_orders (updated_at)
     where status <> 'accepted'`,
];

/** How often a schema statement is run when a concurrent create of the same object beat it. */
const CREATE_ATTEMPTS = 3;

/** SQLSTATEs of a create another session ran at the same time: `unique_violation`, `duplicate_table`. */
const CONCURRENT_CREATE_CODES = new Set(["23505", "42P07"]);

function isConcurrentCreate(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : null;
  return typeof code === "string" && CONCURRENT_CREATE_CODES.has(code);
}

const COLUMNS = `client_order_id, instrument_token, side, quantity, limit_price, slippage_bps,
  status, average_price, fees, created_at, updated_at, message`;

// Drivers differ: node-postgres returns bigint as a string, PGlite as a number; both give Dates.
const Integer = z
  .union([z.number(), z.string(), z.bigint()])
  .transform(Number)
  .pipe(z.number().int());
const Time = z.union([z.date(), z.string()]).transform((value) => new Date(value).getTime());

const RowSchema = z
  .object({
    client_order_id: z.string().min(1),
    instrument_token: Integer,
    side: z.enum(["BUY", "SELL"]),
    quantity: Integer,
    limit_price: z.number().nullable(),
    slippage_bps: z.number(),
    status: z.enum(["accepted", "filled", "cancelled"]),
    average_price: z.number().nullable(),
    fees: z.number().nullable(),
    created_at: Time,
    updated_at: Time,
    message: z.string().nullable(),
  })
  .transform(
    (row): PaperOrder => ({
      clientOrderId: row.client_order_id,
      instrumentToken: row.instrument_token,
      side: row.side,
      quantity: row.quantity,
      limitPrice: row.limit_price,
      slippageBps: row.slippage_bps,
      status: row.status,
      averagePrice: row.average_price,
      fees: row.fees,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      message: row.message,
    }),
  );

export interface PaperOrderRepositoryOptions {
  sql: SqlPort;
  /** Orders of this namespace only: shadow mode runs several paper traders on one database. */
  namespace: string;
  logger: Logger;
  /** The trader's clock: order times and their retention are on it. */
  clock: Clock;
  /**
   * Called with the stored state of an order whose write lost to a final state another engine
   * instance had written first (a fill or a cancel there): the database's word stands.
   */
  onSuperseded(stored: PaperOrder): void;
}

/**
 * Paper orders in the engine's database (`paper_orders`), so an order resting when the engine
 * stops is still there, and still resting, when it starts again.
 *
 * Writes are queued (`save`) and written together (`flush`), one statement for all pending
 * orders; the trader awaits `flush` before it tells the engine anything about an order, so the
 * engine never learns a state the database does not have. A stored order changes only while it
 * rests: a final state is never overwritten, so when several engine instances share the table,
 * the first instance to end an order decides how it ended (`onSuperseded` tells the others).
 */
export class PaperOrderRepository {
  readonly #sql: SqlPort;
  readonly #namespace: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #onSuperseded: (stored: PaperOrder) => void;
  /** Orders changed since the last write, by client order id. */
  readonly #pending = new Map<string, PaperOrder>();
  /** The end of the last write in the chain; writes run one after another. */
  #tail: Promise<void> = Promise.resolve();
  #writing = 0;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(options: PaperOrderRepositoryOptions) {
    this.#sql = options.sql;
    this.#namespace = options.namespace;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#onSuperseded = options.onSuperseded;
  }

  /**
   * Creates the table when missing; the trader calls it once, before anything else. Paper traders
   * of several namespaces (shadow mode) or instances start at once on one database: PostgreSQL's
   * `if not exists` does not cover a concurrent create, which fails with a unique violation on
   * its catalog (or `duplicate_table`) while the other one commits. That statement is run again,
   * and then finds what the other created.
   * @throws the driver's error when the database refuses the statement for any other reason
   */
  async createSchema(): Promise<void> {
    for (const statement of SCHEMA) {
      await pRetry(() => this.#sql.query(statement), {
        retries: CREATE_ATTEMPTS - 1,
        minTimeout: 10,
        shouldRetry: ({ error }) => isConcurrentCreate(error),
      });
    }
  }

  /** The namespace's resting orders. */
  async loadResting(): Promise<PaperOrder[]> {
    const { rows } = await this.#sql.query(
      `select ${COLUMNS} from paper_orders where namespace = $1 and status = 'accepted'`,
      [this.#namespace],
    );
    return rows.map((row) => RowSchema.parse(row));
  }

  /** The stored orders among these client order ids. */
  async find(clientOrderIds: readonly string[]): Promise<PaperOrder[]> {
    if (clientOrderIds.length === 0) return [];
    const { rows } = await this.#sql.query(
      `select ${COLUMNS} from paper_orders
        where namespace = $1 and client_order_id = any($2::text[])`,
      [this.#namespace, [...clientOrderIds]],
    );
    return rows.map((row) => RowSchema.parse(row));
  }

  /** Deletes ended orders last changed before `before` (epoch ms). */
  async prune(before: number): Promise<void> {
    await this.#sql.query(
      `delete from paper_orders
        where namespace = $1 and status <> 'accepted' and updated_at < $2::timestamptz`,
      [this.#namespace, new Date(before).toISOString()],
    );
    this.#prunedAt = this.#clock.now();
  }

  /** Queues the order's current state for the next write. */
  save(order: PaperOrder): void {
    this.#pending.set(order.clientOrderId, order);
  }

  /**
   * Writes every queued order, after any write already running. Resolves once they are stored;
   * rejects when the database failed (they stay queued for the next flush). Immediate when
   * nothing is queued or being written.
   */
  flush(): Promise<void> {
    if (this.#pending.size === 0 && this.#writing === 0) return Promise.resolve();
    this.#writing += 1;
    const run = this.#tail
      .then(() => this.#write())
      .finally(() => {
        this.#writing -= 1;
      });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0) return;
    const orders = [...this.#pending.values()];
    this.#pending.clear();
    try {
      const { rows } = await this.#sql.query<{ client_order_id: string }>(
        `insert into paper_orders (namespace, ${COLUMNS})
         select $1::text, * from unnest($2::text[], $3::bigint[], $4::text[], $5::integer[],
           $6::float8[], $7::float8[], $8::text[], $9::float8[], $10::float8[],
           $11::timestamptz[], $12::timestamptz[], $13::text[])
         on conflict (client_order_id) do update
           set status = excluded.status,
               average_price = excluded.average_price,
               fees = excluded.fees,
               updated_at = excluded.updated_at,
               message = excluded.message
         where paper_orders.status = 'accepted'
         returning client_order_id`,
        [
          this.#namespace,
          orders.map((order) => order.clientOrderId),
          orders.map((order) => order.instrumentToken),
          orders.map((order) => order.side),
          orders.map((order) => order.quantity),
          orders.map((order) => order.limitPrice),
          orders.map((order) => order.slippageBps),
          orders.map((order) => order.status),
          orders.map((order) => order.averagePrice),
          orders.map((order) => order.fees),
          orders.map((order) => new Date(order.createdAt).toISOString()),
          orders.map((order) => new Date(order.updatedAt).toISOString()),
          orders.map((order) => order.message),
        ],
      );
      if (rows.length < orders.length) {
        const written = new Set(rows.map((row) => row.client_order_id));
        const lost = orders.filter((order) => !written.has(order.clientOrderId));
        for (const stored of await this.find(lost.map((order) => order.clientOrderId))) {
          this.#onSuperseded(stored);
        }
      }
    } catch (error) {
      // Queued again unless queued anew meanwhile (the same object either way: its latest state).
      for (const order of orders) {
        if (!this.#pending.has(order.clientOrderId)) this.#pending.set(order.clientOrderId, order);
      }
      throw error;
    }
    await this.#pruneWhenDue();
  }

  async #pruneWhenDue(): Promise<void> {
    const now = this.#clock.now();
    if (now - this.#prunedAt < PRUNE_INTERVAL_MS) return;
    this.#prunedAt = now;
    await this.prune(now - ENDED_ORDER_RETENTION_MS).catch((error: unknown) => {
      this.#logger.warn({ err: errorMessage(error) }, "could not delete old paper orders");
    });
  }
}
