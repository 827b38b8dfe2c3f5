import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { Logger, SqlPort } from "@engine/core";
import { type SQL, sql } from "drizzle-orm";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { classifyDatabaseError } from "../errors/database-errors.js";
import { schema } from "./schema.js";

/** The engine's database, whichever driver is behind it. */
export type EngineDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The migrations drizzle-kit generated, shipped beside `dist/`. */
const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Renders drizzle's SQL to text and parameters, for prepared statements. */
const dialect = new PgDialect();

/** Serialises migrations between engine instances starting at once. */
const MIGRATION_LOCK_KEY = 7_321_554_210;

export interface DatabaseHandle {
  readonly db: EngineDatabase;
  readonly kind: "postgres" | "pglite";
  /** Plain parameterised SQL, for traders that keep state of their own. */
  readonly sql: SqlPort;
  /**
   * Rows of a raw statement, whatever the driver's result shape. With `preparedAs`, PostgreSQL
   * parses and plans it once per connection instead of on every call (half a millisecond of the
   * journal's largest statement): for statements whose text never changes, one name each.
   * @throws DatabaseUnavailableError (retryable) when the database cannot be reached
   * @throws DatabaseStatementError (not retryable) when it refuses the statement
   */
  rows<T>(query: SQL, preparedAs?: string): Promise<T[]>;
  /** Resolves when the database answers. */
  /**
   * Runs `work` in one transaction, its statements in order on one connection (what an advisory
   * lock taken with `pg_advisory_xact_lock` needs); committed when `work` resolves.
   * @throws DatabaseUnavailableError (retryable) or DatabaseStatementError (not), as `rows`
   */
  transaction<T>(work: (rows: <R>(query: SQL) => Promise<R[]>) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  /** Applies pending migrations. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects to PostgreSQL at `url`, or, with no URL, starts an embedded PGlite (same schema and
 * migrations) for the embedded default.
 */
export function openDatabase(url: string | null, logger: Logger): DatabaseHandle {
  return url === null ? openPglite() : openPostgres(url, logger);
}

function openPostgres(url: string, logger: Logger): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Without it a dead connection stalls a query until the OS gives up on it.
    keepAlive: true,
  });
  // An idle client's error (the server restarted) must not crash the process.
  pool.on("error", (error) => logger.warn({ err: error.message }, "idle database connection lost"));
  const db = drizzleNodePg(pool, { schema }) as unknown as EngineDatabase;
  return {
    db,
    kind: "postgres",
    sql: {
      query: async <T>(text: string, params?: readonly unknown[]) => {
        const result = await pool.query(text, params ? [...params] : undefined);
        return { rows: result.rows as T[] };
      },
    },
    rows: <T>(query: SQL, preparedAs?: string) =>
      classified(async () => {
        if (preparedAs === undefined) {
          return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
        }
        const { sql: text, params } = dialect.sqlToQuery(query);
        return (await pool.query({ name: preparedAs, text, values: params })).rows as T[];
      }),
    transaction: (work) => inTransaction(db, work),
    ping: async () => {
      await pool.query("select 1");
    },
    migrate: async () => {
      const client = await pool.connect();
      try {
        await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        await migrateNodePg(drizzleNodePg(pool, { schema }), {
          migrationsFolder: MIGRATIONS_FOLDER,
        });
      } finally {
        await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function openPglite(): DatabaseHandle {
  const client = new PGlite();
  const db = drizzlePglite(client, { schema }) as unknown as EngineDatabase;
  return {
    db,
    kind: "pglite",
    sql: {
      query: async <T>(text: string, params?: readonly unknown[]) => {
        const result = await client.query<T>(text, params ? [...params] : undefined);
        return { rows: result.rows };
      },
    },
    // PGlite is in process: there is no round trip for a prepared statement to save.
    rows: <T>(query: SQL) =>
      classified(async () => ((await db.execute(query)) as unknown as { rows: T[] }).rows),
    transaction: (work) => inTransaction(db, work),
    ping: async () => {
      await client.query("select 1");
    },
    migrate: () =>
      migratePglite(drizzlePglite(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER }),
    close: () => client.close(),
  };
}

function inTransaction<T>(
  db: EngineDatabase,
  work: (rows: <R>(query: SQL) => Promise<R[]>) => Promise<T>,
): Promise<T> {
  return classified(() =>
    db.transaction((tx) =>
      work(async <R>(query: SQL) => ((await tx.execute(query)) as unknown as { rows: R[] }).rows),
    ),
  );
}

/** Runs a statement, turning the driver's errors into the engine's, which say whether to retry. */
async function classified<R>(run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (error) {
    throw classifyDatabaseError(error);
  }
}

export { sql };
