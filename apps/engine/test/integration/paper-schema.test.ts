import { loadSettings, silentLogger, systemClock } from "@engine/core";
import { paperPlugin } from "@engine/trader-paper";
import { describe, expect } from "vitest";
import { openDatabase, sql } from "../../src/db/database.js";
import { FILE_SCOPE, integrationTest } from "./test-support/fixtures.js";

const it = integrationTest.extend("options", FILE_SCOPE, { label: "paperschema" });

/**
 * Shadow mode runs a paper trader for each namespace, all starting at once on the engine's
 * database; several instances do the same. On a database without `paper_orders` they all create
 * it together, and PostgreSQL's `create table if not exists` fails for all but one of them.
 */
describe("paper traders starting together on a fresh PostgreSQL database", () => {
  it("all start ready, one table and its indexes created", async ({ db, teardown }) => {
    const handle = openDatabase(db.url, silentLogger);
    teardown.defer(() => handle.close());
    const settings = loadSettings(paperPlugin.settingsSchema, {});
    const namespaces = ["paper", "zerodha", "upstox", "paper_b", "paper_c", "paper_d"];
    const traders = namespaces.map((namespace) =>
      paperPlugin.create({
        namespace,
        settings,
        clock: systemClock,
        logger: silentLogger,
        sql: handle.sql,
      }),
    );
    teardown.defer(() => Promise.all(traders.map((trader) => trader.shutdown())));
    const ready = await Promise.all(traders.map((trader) => trader.initialize()));
    expect(ready).toEqual(namespaces.map(() => true));
    const objects = await handle.rows<{ relname: string }>(
      sql`select relname from pg_class where relname like 'paper_orders%' order by relname`,
    );
    expect(objects.map((row) => row.relname)).toEqual([
      "paper_orders",
      "paper_orders_ended",
      "paper_orders_pkey",
      "paper_orders_resting",
    ]);
  });
});
