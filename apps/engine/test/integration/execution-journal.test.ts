import { randomUUID } from "node:crypto";
import { silentLogger, systemClock } from "@engine/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.js";
import {
  type Completion,
  ExecutionJournal,
  executionKey,
  type SignalRecord,
} from "../../src/journal/execution-journal.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";

function record(signalId: string, targets: string[]): SignalRecord {
  return {
    signalId,
    strategyId: "journal_test",
    instrumentToken: 256265,
    signalType: "BUY",
    disposition: "routed",
    targets,
    detail: null,
    envelope: { id: signalId, correlation_id: signalId, trace_id: signalId, data: {} },
    sourceTopic: "journal.signals.validated",
    sourcePartition: 0,
    sourceOffset: "0",
  };
}

function completion(signalId: string, namespace: string, fillPrice: number): Completion {
  return {
    signalId,
    namespace,
    follow: false,
    outcome: "filled",
    errorCode: null,
    orderId: `order-${signalId}`,
    events: [
      {
        topic: `${namespace}.orders.filled`,
        key: "256265",
        event: { id: randomUUID(), type: "order_filled", data: { fill_price: fillPrice } },
      },
    ],
  };
}

/** The journal's first write of a batch, on PostgreSQL: one statement, all or nothing. */
describe("ExecutionJournal.recordAndClaim", () => {
  let db: TestDatabase;
  let handle: DatabaseHandle;
  let journal: ExecutionJournal;
  let other: ExecutionJournal;

  beforeAll(async () => {
    db = await createTestDatabase();
    handle = openDatabase(db.url, silentLogger);
    await handle.migrate();
    const options = { leaseMs: 60_000, clock: systemClock };
    journal = new ExecutionJournal(handle, { ...options, instanceId: "engine-a" });
    other = new ExecutionJournal(handle, { ...options, instanceId: "engine-b" });
  });

  afterAll(async () => {
    await handle?.close();
    await db?.drop();
  });

  const rowsOf = (signalId: string) =>
    db.query<{ namespace: string; status: string; claimed_by: string; events: unknown }>(
      "select namespace, status, claimed_by, events from engine_execution_journal where signal_id = $1 order by namespace",
      [signalId],
    );

  it("stores new signals, their live claims and their simulated results together", async () => {
    const id = randomUUID();
    const filled = completion(id, "paper", 101.5);
    const first = await journal.recordAndClaim(
      [record(id, ["paper", "zerodha"])],
      [{ signalId: id, namespace: "zerodha", shadow: false }],
      [filled],
    );

    expect(first.allFresh).toBe(true);
    expect([...first.claimed]).toEqual([executionKey({ signalId: id, namespace: "zerodha" })]);
    expect([...first.completed]).toEqual([executionKey({ signalId: id, namespace: "paper" })]);
    expect(await rowsOf(id)).toEqual([
      { namespace: "paper", status: "completed", claimed_by: "engine-a", events: filled.events },
      { namespace: "zerodha", status: "in_flight", claimed_by: "engine-a", events: null },
    ]);
  });

  it("writes only the new signal records when one signal of the batch was seen before", async () => {
    const seen = randomUUID();
    const fresh = randomUUID();
    await other.recordAndClaim([record(seen, ["paper"])], [], [completion(seen, "paper", 99)]);

    const first = await journal.recordAndClaim(
      [record(seen, ["paper"]), record(fresh, ["paper"])],
      [],
      [completion(seen, "paper", 100), completion(fresh, "paper", 100)],
    );

    expect(first).toEqual({ allFresh: false, claimed: new Set(), completed: new Set() });
    const signals = await db.query<{ signal_id: string }>(
      "select signal_id from engine_signal_journal where signal_id = any($1)",
      [[seen, fresh]],
    );
    expect(signals.map((row) => row.signal_id).sort()).toEqual([seen, fresh].sort());
    // The result stored first is untouched; the fresh signal has no execution yet.
    expect(await rowsOf(seen)).toMatchObject([{ claimed_by: "engine-b", status: "completed" }]);
    expect(await rowsOf(fresh)).toEqual([]);
    // Claiming as the pipeline then does tells the two apart.
    const outcomes = await journal.claim([
      { signalId: seen, namespace: "paper", shadow: false },
      { signalId: fresh, namespace: "paper", shadow: false },
    ]);
    expect(outcomes.get(executionKey({ signalId: seen, namespace: "paper" }))?.kind).toBe(
      "completed",
    );
    expect(outcomes.get(executionKey({ signalId: fresh, namespace: "paper" }))?.kind).toBe("fresh");
  });

  it("leaves out an execution that already has a row, so the caller claims it", async () => {
    const id = randomUUID();
    // An execution row without its signal record: only possible by hand, the journal's worst case.
    await db.query(
      `insert into engine_execution_journal (signal_id, namespace, status, claimed_by, lease_until)
       values ($1, 'paper', 'in_flight', 'engine-b', now() + interval '1 minute')`,
      [id],
    );
    const first = await journal.recordAndClaim(
      [record(id, ["paper"])],
      [],
      [completion(id, "paper", 100)],
    );
    expect(first.allFresh).toBe(true);
    expect(first.completed.size).toBe(0);
    expect(await rowsOf(id)).toMatchObject([{ claimed_by: "engine-b", status: "in_flight" }]);
    const outcomes = await journal.claim([{ signalId: id, namespace: "paper", shadow: false }]);
    expect(outcomes.get(executionKey({ signalId: id, namespace: "paper" }))?.kind).toBe("busy");
  });
});
