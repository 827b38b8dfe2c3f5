import {
  type Clock,
  type ExecutionState,
  ExecutionStateSchema,
  InvariantViolationError,
  isFinalStatus,
} from "@engine/core";
import { sql } from "drizzle-orm";
import type { DatabaseHandle } from "../db/database.js";
import {
  engineInstances,
  executionJournal,
  type JournaledSignal,
  type SignalDisposition,
  signalJournal,
} from "../db/schema.js";

/** A result event as published: where it went and the envelope itself. */
export interface JournaledEvent {
  topic: string;
  key: string;
  event: { id: string; type: string } & Record<string, unknown>;
}

export interface SignalRecord {
  signalId: string;
  strategyId: string;
  instrumentToken: number;
  signalType: string;
  disposition: SignalDisposition;
  targets: string[];
  detail: string | null;
  envelope: JournaledSignal;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
}

export interface ExecutionKey {
  signalId: string;
  namespace: string;
}

/** Key of an execution in maps. */
export function executionKey(key: ExecutionKey): string {
  return `${key.signalId}\u0000${key.namespace}`;
}

/** An execution as first written: claimed by this instance, in the state it reached so far. */
export interface NewExecution extends ExecutionKey {
  shadow: boolean;
  state: ExecutionState;
  events: JournaledEvent[];
}

/** A fenced write of one execution's new state: applied only while this instance owns it. */
export interface ExecutionWrite extends ExecutionKey {
  epoch: number;
  state: ExecutionState;
  /** Events emitted by this transition, appended to the stored ones (not yet published). */
  newEvents: JournaledEvent[];
}

/** An execution as stored, with whether its owner is alive. */
export interface StoredExecution extends ExecutionKey {
  state: ExecutionState;
  epoch: number;
  claimedBy: string;
  /** The owner's lease has not run out (it may be this instance). */
  ownerAlive: boolean;
  events: JournaledEvent[];
  published: number;
}

/** An execution this instance took over, with what it needs to carry on. */
export interface AdoptedExecution extends StoredExecution {
  envelope: JournaledSignal;
  /** Where its signal was read: its order among the signals of its key. */
  source: { partition: number; offset: bigint };
}

export interface ExecutionJournalOptions {
  /** This engine instance, the owner of what it claims. */
  instanceId: string;
  clock: Clock;
  /**
   * Prepended to the namespace of every row this instance writes or reads (a shadow engine's
   * prefix): a shadow engine sharing the database never takes a normal engine's executions for
   * its own, nor the other way round.
   */
  namespacePrefix?: string;
}

/** What the first write of a batch stored. */
export interface FirstWrite {
  /** Every signal of the batch was new, so every execution given was inserted. */
  allFresh: boolean;
}

interface ExecutionRow {
  signal_id: string;
  namespace: string;
  state: unknown;
  epoch: number;
  claimed_by: string;
  owner_alive: boolean;
  events: JournaledEvent[] | null;
  published: number;
}

/**
 * The execution journal in PostgreSQL: the record that makes a redelivered signal harmless and
 * an execution survive its process. Every method takes a whole batch and costs a fixed number of
 * round trips; statements are constant text with the batch as one JSON parameter (prepared once
 * per connection), rather than built per call.
 *
 * Ownership rule (enforced here, in SQL): a row is written only by the instance in
 * `claimed_by` at the `epoch` it read; an instance takes a row over only when the owner's lease in
 * `engine_instances` has run out (by the database's clock), and the takeover increments `epoch`,
 * so the former owner's later writes match nothing.
 */
export class ExecutionJournal {
  readonly #db: DatabaseHandle;
  readonly #instanceId: string;
  readonly #clock: Clock;
  readonly #prefix: string;

  constructor(db: DatabaseHandle, options: ExecutionJournalOptions) {
    this.#db = db;
    this.#instanceId = options.instanceId;
    this.#clock = options.clock;
    this.#prefix = options.namespacePrefix ?? "";
  }

  get instanceId(): string {
    return this.#instanceId;
  }

  /**
   * The first write of a batch, in one statement (one round trip, one commit): records its
   * signals and, when every one of them is new, inserts its executions as given (claimed by this
   * instance at epoch 1). When a signal was seen before, its stored decision rules, so nothing but
   * the new signal records is written (`allFresh` false) and the caller reads what is stored.
   */
  async recordBatch(records: SignalRecord[], executions: NewExecution[]): Promise<FirstWrite> {
    if (records.length === 0) return { allFresh: true };
    const rows = await this.#db.rows<{ fresh: string }>(
      sql`
      with fresh as (
        insert into ${signalJournal} (signal_id, strategy_id, instrument_token, signal_type,
          disposition, targets, detail, envelope, source_topic, source_partition, source_offset)
        select signal_id, strategy_id, instrument_token, signal_type, disposition, targets, detail,
          envelope, source_topic, source_partition, source_offset
        from jsonb_to_recordset(${JSON.stringify(records.map(signalRow))}::jsonb)
          as v(signal_id text, strategy_id text, instrument_token bigint, signal_type text,
               disposition text, targets jsonb, detail text, envelope jsonb, source_topic text,
               source_partition integer, source_offset text)
        on conflict do nothing
        returning signal_id
      ),
      all_fresh as (select count(*) = ${records.length} as yes from fresh),
      inserted as (
        insert into ${executionJournal} (signal_id, namespace, status, shadow, attempts,
          claimed_by, epoch, state, outcome, error_code, order_id, events, published, completed_at)
        select signal_id, namespace, status, shadow, attempts, ${this.#instanceId}::text, 1, state,
          outcome, error_code, order_id, events, jsonb_array_length(events), case when final then now() end
        from jsonb_to_recordset(${JSON.stringify(executions.map((e) => this.#executionRow(e)))}::jsonb)
          as e(signal_id text, namespace text, status text, shadow boolean, attempts integer,
               state jsonb, outcome text, error_code text, order_id text, events jsonb,
               final boolean)
        where (select yes from all_fresh)
        on conflict do nothing
        returning 1
      )
      select (select count(*) from fresh)::text as fresh, (select count(*) from inserted)::text as n`,
      "engine_record_batch",
    );
    return { allFresh: Number(rows[0]?.fresh ?? 0) === records.length };
  }

  /**
   * Records signals seen for the first time and returns, for every signal of the batch, the
   * record as first written: a redelivered signal keeps the decision made when it first came.
   */
  async recordSignals(records: SignalRecord[]): Promise<Map<string, SignalRecord>> {
    const stored = new Map<string, SignalRecord>();
    if (records.length === 0) return stored;
    const rows = await this.#db.rows<{
      signal_id: string;
      strategy_id: string;
      instrument_token: string;
      signal_type: string;
      disposition: SignalDisposition;
      targets: string[];
      detail: string | null;
      envelope: JournaledSignal;
      source_topic: string;
      source_partition: number;
      source_offset: string;
    }>(
      sql`
      with v as (
        select * from jsonb_to_recordset(${JSON.stringify(records.map(signalRow))}::jsonb)
          as v(signal_id text, strategy_id text, instrument_token bigint, signal_type text,
               disposition text, targets jsonb, detail text, envelope jsonb, source_topic text,
               source_partition integer, source_offset text)
      ),
      fresh as (
        insert into ${signalJournal} (signal_id, strategy_id, instrument_token, signal_type,
          disposition, targets, detail, envelope, source_topic, source_partition, source_offset)
        select * from v
        on conflict do nothing
        returning signal_id
      )
      select s.signal_id, s.strategy_id, s.instrument_token::text, s.signal_type, s.disposition,
        s.targets, s.detail, s.envelope, s.source_topic, s.source_partition, s.source_offset
      from ${signalJournal} s join v on v.signal_id = s.signal_id
      where s.signal_id not in (select signal_id from fresh)
      union all
      select v.signal_id, v.strategy_id, v.instrument_token::text, v.signal_type, v.disposition,
        v.targets, v.detail, v.envelope, v.source_topic, v.source_partition, v.source_offset
      from v where v.signal_id in (select signal_id from fresh)`,
      "engine_record_signals",
    );
    for (const row of rows) {
      stored.set(row.signal_id, {
        signalId: row.signal_id,
        strategyId: row.strategy_id,
        instrumentToken: Number(row.instrument_token),
        signalType: row.signal_type,
        disposition: row.disposition,
        targets: row.targets,
        detail: row.detail,
        envelope: row.envelope,
        sourceTopic: row.source_topic,
        sourcePartition: row.source_partition,
        sourceOffset: row.source_offset,
      });
    }
    return stored;
  }

  /** Inserts executions that have no row yet (claimed here); returns the keys it inserted. */
  async insert(executions: NewExecution[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    if (executions.length === 0) return inserted;
    const rows = await this.#db.rows<{ signal_id: string; namespace: string }>(
      sql`
      insert into ${executionJournal} (signal_id, namespace, status, shadow, attempts,
        claimed_by, epoch, state, outcome, error_code, order_id, events, published, completed_at)
      select signal_id, namespace, status, shadow, attempts, ${this.#instanceId}::text, 1, state,
        outcome, error_code, order_id, events, jsonb_array_length(events), case when final then now() end
      from jsonb_to_recordset(${JSON.stringify(executions.map((e) => this.#executionRow(e)))}::jsonb)
        as e(signal_id text, namespace text, status text, shadow boolean, attempts integer,
             state jsonb, outcome text, error_code text, order_id text, events jsonb,
             final boolean)
      on conflict do nothing
      returning signal_id, namespace`,
      "engine_insert_executions",
    );
    for (const row of rows) inserted.add(executionKey(this.#own(row)));
    return inserted;
  }

  /** The stored executions of these keys, with whether their owners are alive. */
  async read(keys: readonly ExecutionKey[]): Promise<Map<string, StoredExecution>> {
    const found = new Map<string, StoredExecution>();
    if (keys.length === 0) return found;
    const rows = await this.#db.rows<ExecutionRow>(
      sql`
      select j.signal_id, j.namespace, j.state, j.epoch, j.claimed_by, j.events, j.published,
        exists (select 1 from ${engineInstances} i
                where i.instance_id = j.claimed_by and i.lease_until > now()) as owner_alive
      from ${executionJournal} j
      join jsonb_to_recordset(${JSON.stringify(this.#keyRows(keys))}::jsonb)
        as k(signal_id text, namespace text)
        on k.signal_id = j.signal_id and k.namespace = j.namespace
      where j.signal_id = any(array(select jsonb_array_elements_text(${signalIds(keys)}::jsonb)))`,
      "engine_read_executions",
    );
    for (const row of rows) {
      const stored = this.#stored(row);
      found.set(executionKey(stored), stored);
    }
    return found;
  }

  /**
   * Stores transitions, each only if this instance still owns the execution at the epoch it
   * holds (the fence). Returns the keys written; a key missing from the answer was taken over by
   * another instance: its state and events are no longer this instance's to store or publish.
   */
  async write(writes: readonly ExecutionWrite[]): Promise<Set<string>> {
    const written = new Set<string>();
    if (writes.length === 0) return written;
    const rows = await this.#db.rows<{ signal_id: string; namespace: string }>(
      sql`
      update ${executionJournal} as j
      set status = w.status, state = w.state, attempts = w.attempts,
          outcome = coalesce(w.outcome, j.outcome), error_code = coalesce(w.error_code, j.error_code),
          order_id = coalesce(w.order_id, j.order_id),
          events = j.events || w.new_events,
          updated_at = now(),
          completed_at = case when w.final then coalesce(j.completed_at, now()) else null end
      from jsonb_to_recordset(${JSON.stringify(writes.map((w) => this.#writeRow(w)))}::jsonb)
        as w(signal_id text, namespace text, epoch integer, status text, attempts integer,
             state jsonb, outcome text, error_code text, order_id text, new_events jsonb,
             final boolean)
      where j.signal_id = w.signal_id and j.namespace = w.namespace
        and j.claimed_by = ${this.#instanceId}::text and j.epoch = w.epoch
        and j.signal_id = any(array(select jsonb_array_elements_text(${signalIds(writes)}::jsonb)))
      returning j.signal_id, j.namespace`,
      "engine_write_executions",
    );
    for (const row of rows) written.add(executionKey(this.#own(row)));
    return written;
  }

  /**
   * Notes that the first `published` events of owned executions are out, so a takeover publishes
   * only what is not. Inserted rows count their events as published: until the batch that wrote
   * them is committed, its redelivery republishes them.
   */
  async markPublished(
    marks: readonly (ExecutionKey & { epoch: number; published: number })[],
  ): Promise<void> {
    if (marks.length === 0) return;
    await this.#db.rows(
      sql`
      update ${executionJournal} as j set published = greatest(j.published, m.published)
      from jsonb_to_recordset(${JSON.stringify(
        marks.map((m) => ({
          signal_id: m.signalId,
          namespace: this.#prefix + m.namespace,
          epoch: m.epoch,
          published: m.published,
        })),
      )}::jsonb) as m(signal_id text, namespace text, epoch integer, published integer)
      where j.signal_id = m.signal_id and j.namespace = m.namespace
        and j.claimed_by = ${this.#instanceId}::text and j.epoch = m.epoch
        and j.signal_id = any(array(select jsonb_array_elements_text(${signalIds(marks)}::jsonb)))`,
      "engine_mark_published",
    );
  }

  /**
   * Takes over the unfinished executions of these namespaces whose owner's lease ran out (a dead
   * or cut-off instance), incrementing their epoch, oldest signals first, at most `limit`:
   * executions not ended, and ended ones whose last events were journaled but not published.
   */
  async adopt(namespaces: readonly string[], limit: number): Promise<AdoptedExecution[]> {
    if (namespaces.length === 0) return [];
    const rows = await this.#db.rows<
      ExecutionRow & {
        envelope: JournaledSignal;
        source_partition: number;
        source_offset: string;
      }
    >(
      sql`
      with orphans as (
        select j.signal_id, j.namespace from ${executionJournal} j
        where (j.status in ('pending', 'submitted', 'unknown', 'accepted', 'partially_filled')
            or j.published < jsonb_array_length(j.events))
          and j.namespace in (select jsonb_array_elements_text(${JSON.stringify(
            namespaces.map((namespace) => this.#prefix + namespace),
          )}::jsonb))
          and j.claimed_by <> ${this.#instanceId}::text
          and not exists (select 1 from ${engineInstances} i
                          where i.instance_id = j.claimed_by and i.lease_until > now())
        order by j.created_at
        limit ${limit}
        for update skip locked
      )
      update ${executionJournal} as j
      set claimed_by = ${this.#instanceId}::text, epoch = j.epoch + 1, updated_at = now()
      from orphans o, ${signalJournal} s
      where j.signal_id = o.signal_id and j.namespace = o.namespace and s.signal_id = j.signal_id
      returning j.signal_id, j.namespace, j.state, j.epoch, j.claimed_by, true as owner_alive,
        j.events, j.published, s.envelope, s.source_partition, s.source_offset`,
      "engine_adopt_executions",
    );
    return rows.map((row) => ({
      ...this.#stored(row),
      envelope: row.envelope,
      source: { partition: row.source_partition, offset: BigInt(row.source_offset) },
    }));
  }

  /**
   * Registers or renews this instance's lease for `leaseMs` from now (the database's clock).
   * Resolves whether the lease had run out before this renewal (then other instances may have
   * taken some of this instance's executions over: its fenced writes will tell which).
   */
  async renewLease(leaseMs: number, host: string, pid: number): Promise<{ lapsed: boolean }> {
    // The CTE reads the row as it was before the upsert: the lease this renewal replaces.
    const rows = await this.#db.rows<{ lapsed: boolean }>(
      sql`
      with before as (
        select lease_until from ${engineInstances} where instance_id = ${this.#instanceId}
      ),
      renewed as (
        insert into ${engineInstances} as i (instance_id, host, pid, lease_until)
        values (${this.#instanceId}, ${host}, ${pid}, now() + ${leaseMs} * interval '1 millisecond')
        on conflict (instance_id) do update
          set lease_until = now() + ${leaseMs} * interval '1 millisecond'
        returning 1
      )
      select coalesce((select lease_until < now() from before), false) as lapsed
      from renewed`,
      "engine_renew_lease",
    );
    return { lapsed: rows[0]?.lapsed ?? false };
  }

  /** Ends this instance's lease at once (a graceful stop): others may adopt what it leaves. */
  async retire(): Promise<void> {
    await this.#db.rows(
      sql`update ${engineInstances} set lease_until = now() where instance_id = ${this.#instanceId}`,
    );
  }

  /** Forgets instances whose lease ran out over a day ago. */
  async pruneInstances(): Promise<void> {
    await this.#db.rows(
      sql`delete from ${engineInstances} where lease_until < now() - interval '1 day'`,
    );
  }

  /** A key as read from a row: the namespace without this instance's prefix. */
  #own<T extends { signal_id: string; namespace: string }>(row: T): ExecutionKey {
    return { signalId: row.signal_id, namespace: row.namespace.slice(this.#prefix.length) };
  }

  #keyRows(keys: readonly ExecutionKey[]) {
    return keys.map((key) => ({
      signal_id: key.signalId,
      namespace: this.#prefix + key.namespace,
    }));
  }

  #stored(row: ExecutionRow): StoredExecution {
    const state = ExecutionStateSchema.safeParse(row.state);
    if (!state.success) {
      throw new InvariantViolationError("an execution's stored state does not parse", {
        signal_id: row.signal_id,
        namespace: row.namespace,
        issues: state.error.issues.slice(0, 3),
      });
    }
    return {
      ...this.#own(row),
      state: state.data,
      epoch: row.epoch,
      claimedBy: row.claimed_by,
      ownerAlive: row.owner_alive,
      events: row.events ?? [],
      published: row.published,
    };
  }

  #executionRow(execution: NewExecution) {
    const final = isFinalStatus(execution.state.status);
    return {
      signal_id: execution.signalId,
      namespace: this.#prefix + execution.namespace,
      status: execution.state.status,
      shadow: execution.shadow,
      attempts: execution.state.attempts,
      state: execution.state,
      ...finalColumns(execution.state, execution.events),
      events: execution.events,
      final,
    };
  }

  #writeRow(write: ExecutionWrite) {
    const final = isFinalStatus(write.state.status);
    return {
      signal_id: write.signalId,
      namespace: this.#prefix + write.namespace,
      epoch: write.epoch,
      status: write.state.status,
      attempts: write.state.attempts,
      state: write.state,
      ...finalColumns(write.state, write.newEvents),
      new_events: write.newEvents,
      final,
    };
  }

  /** The clock the journal was given (for callers that stamp what they store). */
  get clock(): Clock {
    return this.#clock;
  }
}

/** The denormalised columns of a state: its broker order id and, once final, how it ended. */
function finalColumns(state: ExecutionState, events: readonly JournaledEvent[]) {
  const last = events.at(-1)?.event;
  const final = isFinalStatus(state.status);
  const failed = final && last?.type === "order_failed";
  const data = (last?.data ?? {}) as { error_code?: unknown };
  return {
    order_id: state.orderId,
    outcome: final ? (failed ? "failed" : "filled") : null,
    error_code: failed && typeof data.error_code === "string" ? data.error_code : null,
  };
}

/**
 * The signal ids of keys as a JSON array: with `signal_id = any(array(...))` beside the join on a
 * JSON recordset (which the planner sizes at 100 rows whatever it holds), the primary key is used
 * however large the journal grows.
 */
function signalIds(keys: readonly ExecutionKey[]): string {
  return JSON.stringify(keys.map((key) => key.signalId));
}

/** A signal record as a row of the signal journal. */
function signalRow(record: SignalRecord) {
  return {
    signal_id: record.signalId,
    strategy_id: record.strategyId,
    instrument_token: record.instrumentToken,
    signal_type: record.signalType,
    disposition: record.disposition,
    targets: record.targets,
    detail: record.detail,
    envelope: record.envelope,
    source_topic: record.sourceTopic,
    source_partition: record.sourcePartition,
    source_offset: record.sourceOffset,
  };
}
