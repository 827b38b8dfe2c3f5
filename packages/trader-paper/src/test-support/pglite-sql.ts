import { PGlite } from "@electric-sql/pglite";
import type { SqlPort } from "@engine/core";

/**
 * The engine's database as a paper trader sees it: a real in-process PostgreSQL (PGlite) behind
 * core's `SqlPort`. `failing` makes every statement fail until cleared (a database outage).
 */
export async function pgliteSql(): Promise<{
  sql: SqlPort;
  pg: PGlite;
  outage: { failing: boolean };
  close(): Promise<void>;
}> {
  const pg = new PGlite();
  await pg.waitReady;
  const outage = { failing: false };
  const sql: SqlPort = {
    query: async <T>(text: string, params?: readonly unknown[]) => {
      if (outage.failing) throw new Error("connection refused (simulated outage)");
      const result = await pg.query<T>(text, params ? [...params] : undefined);
      return { rows: result.rows };
    },
  };
  return { sql, pg, outage, close: () => pg.close() };
}
