import { randomUUID } from "node:crypto";
import { type ExecutionState, newExecutionState, silentLogger, systemClock } from "@engine/core";
import { describe, expect } from "vitest";
import { type DatabaseHandle, openDatabase, sql } from "../../src/db/database.js";
import {
  ExecutionJournal,
  executionKey,
  type JournaledEvent,
  type NewExecution,
  type SignalRecord,
} from "../../src/journal/execution-journal.js";
import type { TestDatabase } from "./test-support/database.js";
import { FILE_SCOPE, integrationTest } from "./test-support/fixtures.js";

function record(signalId: string, targets: string[]): SignalRecord {
  return {
    signalId,
    strategyId: "journal_test",
    instrumentToken: 256265,
    signalType: "BUY",
    disposition: "routed",
    targets,
    detail: null,
    envelope: {
      id: signalId,
      correlation_id: signalId,
      trace_id: signalId,
      data: { validated_quantity: 5 },
    },
    sourceTopic: "journal.signals.validated",
    sourcePartition: 0,
    sourceOffset: "0",
  };
}

function filledEvent(namespace: string): JournaledEvent {
  return {
    topic: `${namespace}.orders.filled`,
    key: "journal_test:256265",
    event: { id: randomUUID(), type: "order_filled", data: { fill_price: 101 } },
  };
}

function execution(
  signalId: string,
  namespace: string,
  state?: Partial<ExecutionState>,
): NewExecution {
  const events = state?.status === "filled" ? [filledEvent(namespace)] : [];
  return {
    signalId,
    namespace,
    shadow: false,
    state: { ...newExecutionState(5), ...state },
    events,
  };
}

const it = integrationTest.extend("options", FILE_SCOPE, { label: "journal" });

/** The execution journal on PostgreSQL: one statement per batch, and fenced ownership. */
describe("ExecutionJournal", () => {
  let db: TestDatabase;
  let handle: DatabaseHandle;
  let a: ExecutionJournal;
  let b: ExecutionJournal;

  it.beforeAll(async ({ db: database, teardown }) => {
    db = database;
    handle = openDatabase(db.url, silentLogger);
    teardown.defer(() => handle.close());
    await handle.migrate();
    a = new ExecutionJournal(handle, { instanceId: "engine-a", clock: systemClock });
    b = new ExecutionJournal(handle, { instanceId: "engine-b", clock: systemClock });
    await a.renewLease(60_000, "host-a", 1);
    await b.renewLease(60_000, "host-b", 2);
  });

  async function row(signalId: string, namespace: string) {
    const rows = await handle.rows<{
      status: string;
      claimed_by: string;
      epoch: number;
      published: number;
      events: unknown[];
    }>(
      sql`select status, claimed_by, epoch, published, events from engine_execution_journal
          where signal_id = ${signalId} and namespace = ${namespace}`,
    );
    return rows[0];
  }

  it("records a fresh batch's signals and executions in one statement, its events counted published", async () => {
    const first = randomUUID();
    const second = randomUUID();
    const written = await a.recordBatch(
      [record(first, ["paper", "zerodha"]), record(second, ["paper"])],
      [
        execution(first, "paper", { status: "filled", filledQuantity: 5, averagePrice: 101 }),
        execution(first, "zerodha"),
        execution(second, "paper", { status: "filled", filledQuantity: 5, averagePrice: 101 }),
      ],
    );
    expect(written.allFresh).toBe(true);
    expect(await row(first, "zerodha")).toMatchObject({
      status: "pending",
      claimed_by: "engine-a",
      epoch: 1,
      published: 0,
    });
    expect(await row(first, "paper")).toMatchObject({ status: "filled", published: 1 });
  });

  it("writes only the new signal records when one of the batch was seen before", async () => {
    const seen = randomUUID();
    await a.recordBatch([record(seen, ["paper"])], [execution(seen, "paper")]);
    const fresh = randomUUID();
    const written = await a.recordBatch(
      [record(seen, ["paper"]), record(fresh, ["paper"])],
      [execution(seen, "paper"), execution(fresh, "paper")],
    );
    expect(written.allFresh).toBe(false);
    expect(await row(fresh, "paper")).toBeUndefined();
    const records = await a.recordSignals([record(fresh, ["paper"])]);
    expect(records.get(fresh)?.targets).toEqual(["paper"]);
  });

  it("stores a transition only for the owner at its epoch", async () => {
    const id = randomUUID();
    await a.recordBatch([record(id, ["zerodha"])], [execution(id, "zerodha")]);
    const submitted: ExecutionState = { ...newExecutionState(5), status: "submitted", attempts: 1 };
    const key = { signalId: id, namespace: "zerodha" };
    expect(await b.write([{ ...key, epoch: 1, state: submitted, newEvents: [] }])).toEqual(
      new Set(),
    );
    expect(await a.write([{ ...key, epoch: 2, state: submitted, newEvents: [] }])).toEqual(
      new Set(),
    );
    expect(await a.write([{ ...key, epoch: 1, state: submitted, newEvents: [] }])).toEqual(
      new Set([executionKey(key)]),
    );
    expect(await row(id, "zerodha")).toMatchObject({ status: "submitted", epoch: 1 });
  });

  it("takes over only what an instance whose lease ran out left, with a new epoch", async () => {
    const dead = new ExecutionJournal(handle, {
      instanceId: `dead-${randomUUID()}`,
      clock: systemClock,
    });
    await dead.renewLease(60_000, "host-dead", 3);
    const open = randomUUID();
    const ended = randomUUID();
    const alive = randomUUID();
    await dead.recordBatch(
      [record(open, ["zerodha"]), record(ended, ["zerodha"])],
      [execution(open, "zerodha")],
    );
    // An ended execution whose final event was journaled but never published.
    await dead.insert([execution(ended, "zerodha", { status: "filled", filledQuantity: 5 })]);
    await handle.rows(
      sql`update engine_execution_journal set published = 0 where signal_id = ${ended}`,
    );
    await a.recordBatch([record(alive, ["zerodha"])], [execution(alive, "zerodha")]);

    // Alive: nothing to take.
    expect((await b.adopt(["zerodha"], 100)).map((x) => x.signalId)).not.toContain(open);
    await dead.retire();
    const adopted = await b.adopt(["zerodha"], 100);
    const ids = adopted.map((x) => x.signalId);
    expect(ids).toContain(open);
    expect(ids).toContain(ended);
    expect(ids).not.toContain(alive);
    expect(adopted.find((x) => x.signalId === open)).toMatchObject({ epoch: 2, published: 0 });
    expect(adopted.find((x) => x.signalId === ended)?.events).toHaveLength(1);
    // The former owner is fenced out.
    const key = { signalId: open, namespace: "zerodha" };
    const state: ExecutionState = { ...newExecutionState(5), status: "submitted", attempts: 1 };
    expect(await dead.write([{ ...key, epoch: 1, state, newEvents: [] }])).toEqual(new Set());
    expect(await row(open, "zerodha")).toMatchObject({ claimed_by: "engine-b", epoch: 2 });
  });

  it("tells a renewal whether the lease had run out before it", async () => {
    const late = new ExecutionJournal(handle, {
      instanceId: `late-${randomUUID()}`,
      clock: systemClock,
    });
    expect(await late.renewLease(60_000, "h", 4)).toEqual({ lapsed: false });
    await late.retire();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await late.renewLease(60_000, "h", 4)).toEqual({ lapsed: true });
    expect(await late.renewLease(60_000, "h", 4)).toEqual({ lapsed: false });
  });
});
