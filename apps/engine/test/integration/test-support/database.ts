import { randomBytes } from "node:crypto";
import pg from "pg";
import { POSTGRES_ADMIN_URL } from "./environment.js";
import type { Teardown } from "./teardown.js";

/** A database of its own for one test file, dropped afterwards. */
export interface TestDatabase {
  url: string;
  name: string;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `engine_it_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  // `drop ... with (force)` may end a connection the pool is still closing: not a test failure.
  pool.on("error", () => {});
  return {
    url: url.toString(),
    name,
    query: async (text, values) => (await pool.query(text, values)).rows,
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** A database of its own for a test file, dropped at its teardown. */
export async function openTestDatabase(teardown: Teardown): Promise<TestDatabase> {
  const db = await createTestDatabase();
  teardown.defer(() => db.drop());
  return db;
}

/** Inserts or replaces a strategy row the way the platform writes it. */
export async function putStrategy(
  db: TestDatabase,
  strategy: { id: string; zerodhaTradingEnabled?: boolean; isActive?: boolean },
): Promise<void> {
  await db.query(
    `insert into strategy_configurations (id, strategy_type, instruments, parameters, is_active, zerodha_trading_enabled, updated_at)
     values ($1, 'test', '[]', '{}', $2, $3, now())
     on conflict (id) do update set is_active = $2, zerodha_trading_enabled = $3, updated_at = now()`,
    [strategy.id, strategy.isActive ?? true, strategy.zerodhaTradingEnabled ?? false],
  );
}

/** One connection to a test database, closed (and awaited) before the database is dropped. */
export interface TestSql {
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Connects one client to `url`. `TestDatabase.query` goes through a pool whose `end()` resolves
 * before its sockets are closed, so the `drop database ... with (force)` that follows can kill a
 * connection still closing, and the pool, having no error listener, throws it as an uncaught
 * exception. A single client whose `end()` is awaited leaves nothing behind.
 */
export async function connectSql(url: string): Promise<TestSql> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  return {
    query: async (text, values) => (await client.query(text, values)).rows,
    close: () => client.end(),
  };
}
