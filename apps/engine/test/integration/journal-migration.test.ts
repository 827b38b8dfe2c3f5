import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ExecutionStateSchema, silentLogger, systemClock } from "@engine/core";
import { describe, expect } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.js";
import { ExecutionJournal } from "../../src/journal/execution-journal.js";
import type { TestDatabase } from "./test-support/database.js";
import { FILE_SCOPE, integrationTest } from "./test-support/fixtures.js";

const INITIAL_MIGRATION = fileURLToPath(new URL("../../drizzle/0000_initial.sql", import.meta.url));

/** An event as the engine before the order state machine journaled it. */
function event(type: string, data: Record<string, unknown>) {
  return { topic: `zerodha.orders.${type}`, key: "m:1", event: { id: `${type}-1`, type, data } };
}

const it = integrationTest.extend("options", FILE_SCOPE, { label: "journalmig" });

/**
 * A database written by the engine before the order state machine (migration 0000 only), then
 * migrated: every row keeps its meaning, and what was open is taken over where it stood.
 */
describe("migrating the execution journal to the order state machine", () => {
  let db: TestDatabase;
  let handle: DatabaseHandle;

  it.beforeAll(async ({ db: database, teardown }) => {
    db = database;
    for (const statement of readFileSync(INITIAL_MIGRATION, "utf8").split(
      "--> statement-breakpoint",
    )) {
      await db.query(statement);
    }
    const signal = (id: string) =>
      db.query(
        `insert into engine_signal_journal (signal_id, strategy_id, instrument_token, signal_type,
           disposition, targets, detail, envelope, source_topic, source_partition, source_offset)
         values ($1, 'm', 1, 'BUY', 'routed', '["zerodha"]', null, $2, 't', 0, '7')`,
        [id, { id, correlation_id: id, trace_id: id, data: { validated_quantity: 5 } }],
      );
    const execution = (id: string, status: string, outcome: string | null, events: unknown[]) =>
      db.query(
        `insert into engine_execution_journal (signal_id, namespace, status, claimed_by,
           lease_until, outcome, order_id, events)
         values ($1, 'zerodha', $2, 'old-instance', now() - interval '1 hour', $3, $4, $5)`,
        [
          id,
          status,
          outcome,
          outcome === null && status === "in_flight" ? null : "K1",
          JSON.stringify(events),
        ],
      );
    const placed = event("submitted", { order_id: "K1" });
    const filled = event("filled", { order_id: "K1", quantity: 5, fill_price: 101.5 });
    for (const id of ["in-flight", "placed", "settled", "completed"]) await signal(id);
    await execution("in-flight", "in_flight", null, []);
    await execution("placed", "placed", "placed", [
      { ...placed, event: { ...placed.event, type: "order_placed" } },
    ]);
    await execution("settled", "settled", "filled", [
      { ...placed, event: { ...placed.event, type: "order_placed" } },
      { ...filled, event: { ...filled.event, type: "order_filled" } },
    ]);
    await execution("completed", "completed", "failed", [event("failed", { error_code: "X" })]);
    handle = openDatabase(db.url, silentLogger);
    teardown.defer(() => handle.close());
    await handle.migrate();
  });

  it("maps every old status to a state that parses and says the same", async () => {
    const rows = await db.query<{
      signal_id: string;
      status: string;
      state: unknown;
      published: number;
    }>(
      "select signal_id, status, state, published from engine_execution_journal order by signal_id",
    );
    const byId = Object.fromEntries(rows.map((row) => [row.signal_id, row]));
    for (const row of rows) expect(ExecutionStateSchema.safeParse(row.state).success).toBe(true);
    expect(byId["in-flight"]).toMatchObject({ status: "submitted", published: 0 });
    expect(byId.placed).toMatchObject({ status: "accepted", published: 1 });
    expect(byId.placed?.state).toMatchObject({ placed: true, orderId: "K1", quantity: 5 });
    expect(byId.settled).toMatchObject({ status: "filled", published: 1 });
    expect(byId.settled?.state).toMatchObject({ filledQuantity: 5, averagePrice: 101.5 });
    expect(byId.completed).toMatchObject({ status: "rejected", published: 1 });
  });

  it("lets a new instance take over what was open and what was never published", async () => {
    const journal = new ExecutionJournal(handle, {
      instanceId: "new-instance",
      clock: systemClock,
    });
    await journal.renewLease(60_000, "h", 1);
    const adopted = await journal.adopt(["zerodha"], 10);
    expect(adopted.map((row) => row.signalId).sort()).toEqual(["in-flight", "placed", "settled"]);
    expect(adopted.find((row) => row.signalId === "settled")?.events.slice(1)).toHaveLength(1);
  });
});
