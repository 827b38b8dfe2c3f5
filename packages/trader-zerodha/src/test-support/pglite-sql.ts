import { PGlite } from "@electric-sql/pglite";
import type { SqlPort } from "@engine/core";

/** A real in-process PostgreSQL behind core's `SqlPort`. */
export async function pgliteSql(): Promise<{ sql: SqlPort; close(): Promise<void>; pg: PGlite }> {
  const pg = new PGlite();
  await pg.waitReady;
  const sql: SqlPort = {
    query: async <T>(text: string, params?: readonly unknown[]) => {
      const result = await pg.query<T>(text, params ? [...params] : undefined);
      return { rows: result.rows };
    },
  };
  return { sql, pg, close: () => pg.close() };
}
