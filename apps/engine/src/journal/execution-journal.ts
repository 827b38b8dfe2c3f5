import type { Clock } from "@engine/core";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { DatabaseHandle } from "../db/database.js";
import {
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

export interface ClaimRequest extends ExecutionKey {
  shadow: boolean;
}

/**
 * What the journal says about one (signal, namespace) when the engine asks to execute it:
 * - `fresh`: never seen, now claimed by this instance: execute it;
 * - `completed`: executed before: publish the stored events, call no trader (an order still being
 *   followed counts: its follower publishes the rest);
 * - `interrupted`: claimed before and never completed (a crash): recover it, now claimed here;
 * - `busy`: another instance is executing it right now: wait for it.
 */
export type ClaimOutcome =
  | { kind: "fresh" }
  | { kind: "completed"; events: JournaledEvent[] }
  | { kind: "interrupted"; attempts: number }
  | { kind: "busy" };

export interface Completion extends ExecutionKey {
  /** A `placed` result the engine goes on to follow: the execution stays open. */
  follow: boolean;
  outcome: string;
  errorCode: string | null;
  orderId: string | null;
  events: JournaledEvent[];
}

export interface ExecutionJournalOptions {
  /** This engine instance, the owner of its claims. */
  instanceId: string;
  /** How long a claim is honoured before another instance may take it over. */
  leaseMs: number;
  clock: Clock;
  /**
   * Prepended to the namespace of every row this instance writes or reads (a shadow engine's
   * prefix): a shadow engine sharing the database never takes a normal engine's executions for
   * its own, nor the other way round.
   */
  namespacePrefix?: string;
}

/** Key of an execution in maps. */
export function executionKey(key: ExecutionKey): string {
  return `${key.signalId}\u0000${key.namespace}`;
}

/**
 * The execution journal in PostgreSQL: the record that makes a redelivered signal harmless.
 * Every method takes a whole batch and costs a fixed number of round trips.
 */
export class ExecutionJournal {
  readonly #db: DatabaseHandle;
  readonly #instanceId: string;
  /**
   * The owner the order follower claims under. Distinct from the pipeline's, so a pipeline that
   * meets a claim the follower took over sees it busy instead of recovering it a second time.
   */
  readonly #followerId: string;
  readonly #leaseMs: number;
  readonly #clock: Clock;
  readonly #prefix: string;

  constructor(db: DatabaseHandle, options: ExecutionJournalOptions) {
    this.#db = db;
    this.#instanceId = options.instanceId;
    this.#followerId = `${options.instanceId}#follower`;
    this.#leaseMs = options.leaseMs;
    this.#clock = options.clock;
    this.#prefix = options.namespacePrefix ?? "";
  }

  /** A key as read from a row: the namespace without this instance's prefix. */
  #own<T extends ExecutionKey>(row: T): T {
    return { ...row, namespace: row.namespace.slice(this.#prefix.length) };
  }

  /** `(signal_id, namespace) in (...)` for keys of this instance. */
  #inKeys(keys: ExecutionKey[]) {
    return inKeys(keys.map((key) => ({ ...key, namespace: this.#prefix + key.namespace })));
  }

  /**
   * Records signals seen for the first time and returns, for every signal of the batch, the
   * record as first written: a redelivered signal keeps the decision made when it first came.
   */
  async recordSignals(records: SignalRecord[]): Promise<Map<string, SignalRecord>> {
    const stored = new Map<string, SignalRecord>();
    if (records.length === 0) return stored;
    // One constant statement with the batch as a single JSON parameter, rather than drizzle's
    // builder: building a multi-row insert cost more CPU than the database spent on it.
    const rows = records.map(signalRow);
    const inserted = await this.#db.rows<{ signal_id: string }>(
      sql`
      insert into ${signalJournal} (signal_id, strategy_id, instrument_token, signal_type,
        disposition, targets, detail, envelope, source_topic, source_partition, source_offset)
      select signal_id, strategy_id, instrument_token, signal_type, disposition, targets, detail,
        envelope, source_topic, source_partition, source_offset
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as v(signal_id text, strategy_id text, instrument_token bigint, signal_type text,
             disposition text, targets jsonb, detail text, envelope jsonb, source_topic text,
             source_partition integer, source_offset text)
      on conflict do nothing
      returning signal_id`,
      "engine_record_signals",
    );
    const fresh = new Set(inserted.map((row) => row.signal_id));
    const seen = records.filter((record) => !fresh.has(record.signalId));
    for (const record of records)
      if (fresh.has(record.signalId)) stored.set(record.signalId, record);
    if (seen.length > 0) {
      const rows = await this.#db.db
        .select()
        .from(signalJournal)
        .where(
          inArray(
            signalJournal.signalId,
            seen.map((record) => record.signalId),
          ),
        );
      for (const row of rows) {
        stored.set(row.signalId, { ...row, detail: row.detail ?? null });
      }
    }
    return stored;
  }

  /**
   * The first write of a batch, in one statement (one round trip, one commit): records its
   * signals and, when every one of them is new, also claims `claims` and stores `completions`
   * (results reached before journaling, which only a trader placing no real order may give).
   *
   * When a signal was seen before, its stored decision rules, so nothing but the new signal
   * records is written (`allFresh` false): the caller reads the stored records and claims anew.
   * A claim or completion that met an existing row is in neither set: the caller claims it.
   */
  async recordAndClaim(
    records: SignalRecord[],
    claims: ClaimRequest[],
    completions: Completion[],
  ): Promise<FirstWrite> {
    const result: FirstWrite = { allFresh: true, claimed: new Set(), completed: new Set() };
    if (records.length === 0) return result;
    const leaseUntil = new Date(this.#clock.now() + this.#leaseMs);
    const rows = await this.#db.rows<{ kind: string; signal_id: string; namespace: string }>(
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
      claimed as (
        insert into ${executionJournal} (signal_id, namespace, status, shadow, claimed_by,
          lease_until)
        select signal_id, namespace, 'in_flight', shadow, ${this.#instanceId}::text,
          ${leaseUntil}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(claims.map((c) => this.#claimRow(c)))}::jsonb)
          as c(signal_id text, namespace text, shadow boolean)
        where (select yes from all_fresh)
        on conflict do nothing
        returning signal_id, namespace
      ),
      completed as (
        insert into ${executionJournal} (signal_id, namespace, status, shadow, claimed_by,
          lease_until, outcome, error_code, order_id, events, completed_at)
        select signal_id, namespace, status, false, ${this.#instanceId}::text,
          ${leaseUntil}::timestamptz, outcome, error_code, order_id, events,
          case when status = 'completed' then now() end
        from jsonb_to_recordset(${JSON.stringify(completions.map((c) => this.#completionRow(c)))}::jsonb)
          as d(signal_id text, namespace text, outcome text, error_code text, order_id text,
               events jsonb, status text)
        where (select yes from all_fresh)
        on conflict do nothing
        returning signal_id, namespace
      )
      select 'signal' as kind, signal_id, '' as namespace from fresh
      union all select 'claimed', signal_id, namespace from claimed
      union all select 'completed', signal_id, namespace from completed`,
      "engine_record_and_claim",
    );
    let fresh = 0;
    for (const row of rows) {
      if (row.kind === "signal") {
        fresh += 1;
        continue;
      }
      const key = executionKey(this.#own({ signalId: row.signal_id, namespace: row.namespace }));
      (row.kind === "claimed" ? result.claimed : result.completed).add(key);
    }
    result.allFresh = fresh === records.length;
    return result;
  }

  #claimRow(request: ClaimRequest) {
    return {
      signal_id: request.signalId,
      namespace: this.#prefix + request.namespace,
      shadow: request.shadow,
    };
  }

  #completionRow(completion: Completion) {
    return {
      signal_id: completion.signalId,
      namespace: this.#prefix + completion.namespace,
      outcome: completion.outcome,
      error_code: completion.errorCode,
      order_id: completion.orderId,
      events: completion.events,
      status: completion.follow ? "placed" : "completed",
    };
  }

  /** Claims executions for this instance; see `ClaimOutcome`. */
  async claim(requests: ClaimRequest[]): Promise<Map<string, ClaimOutcome>> {
    const outcomes = new Map<string, ClaimOutcome>();
    if (requests.length === 0) return outcomes;
    const now = this.#clock.now();
    const leaseUntil = new Date(now + this.#leaseMs);

    // As in `recordSignals`: one constant statement, the batch as one JSON parameter.
    const claims = requests.map((request) => this.#claimRow(request));
    const inserted = await this.#db.rows<{ signal_id: string; namespace: string }>(
      sql`
      insert into ${executionJournal} (signal_id, namespace, status, shadow, claimed_by, lease_until)
      select signal_id, namespace, 'in_flight', shadow, ${this.#instanceId}::text,
        ${leaseUntil}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(claims)}::jsonb)
        as v(signal_id text, namespace text, shadow boolean)
      on conflict do nothing
      returning signal_id, namespace`,
      "engine_claim",
    );
    for (const row of inserted) {
      const key = this.#own({ signalId: row.signal_id, namespace: row.namespace });
      outcomes.set(executionKey(key), { kind: "fresh" });
    }

    const conflicts = requests.filter((request) => !outcomes.has(executionKey(request)));
    if (conflicts.length === 0) return outcomes;

    // An unfinished claim is ours to recover when we made it, or when its owner's lease ran out.
    const takenOver = await this.#db.db
      .update(executionJournal)
      .set({
        claimedBy: this.#instanceId,
        leaseUntil,
        attempts: sql`${executionJournal.attempts} + 1`,
      })
      .where(
        and(
          eq(executionJournal.status, "in_flight"),
          sql`(${executionJournal.claimedBy} = ${this.#instanceId} or ${executionJournal.leaseUntil} < ${new Date(now)})`,
          this.#inKeys(conflicts),
        ),
      )
      .returning({
        signalId: executionJournal.signalId,
        namespace: executionJournal.namespace,
        attempts: executionJournal.attempts,
      });
    for (const row of takenOver) {
      outcomes.set(executionKey(this.#own(row)), { kind: "interrupted", attempts: row.attempts });
    }

    const remaining = conflicts.filter((request) => !outcomes.has(executionKey(request)));
    if (remaining.length === 0) return outcomes;
    const rows = await this.#db.db
      .select({
        signalId: executionJournal.signalId,
        namespace: executionJournal.namespace,
        status: executionJournal.status,
        events: executionJournal.events,
      })
      .from(executionJournal)
      .where(this.#inKeys(remaining));
    for (const row of rows) {
      outcomes.set(
        executionKey(this.#own(row)),
        row.status === "in_flight"
          ? { kind: "busy" }
          : { kind: "completed", events: (row.events ?? []) as JournaledEvent[] },
      );
    }
    return outcomes;
  }

  /**
   * Stores results. Returns the events to publish for each execution: ours, or, where another
   * instance completed it first, the ones it stored.
   */
  async complete(completions: Completion[]): Promise<Map<string, StoredResult>> {
    const published = new Map<string, StoredResult>();
    if (completions.length === 0) return published;
    const rows = completions.map((completion) => this.#completionRow(completion));
    const updated = await this.#db.rows<{ signal_id: string; namespace: string }>(
      sql`
      update ${executionJournal} as j
      set status = v.status, outcome = v.outcome, error_code = v.error_code,
          order_id = v.order_id, events = v.events,
          completed_at = case when v.status = 'completed' then now() end
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as v(signal_id text, namespace text, outcome text, error_code text, order_id text,
             events jsonb, status text)
      where j.signal_id = v.signal_id and j.namespace = v.namespace and j.status = 'in_flight'
      returning j.signal_id, j.namespace`,
      "engine_complete",
    );
    const ours = new Set(
      updated.map((row) =>
        executionKey(this.#own({ signalId: row.signal_id, namespace: row.namespace })),
      ),
    );
    const theirs: ExecutionKey[] = [];
    for (const completion of completions) {
      if (ours.has(executionKey(completion))) {
        published.set(executionKey(completion), { events: completion.events, ours: true });
      } else {
        theirs.push(completion);
      }
    }
    if (theirs.length > 0) {
      const stored = await this.#db.db
        .select({
          signalId: executionJournal.signalId,
          namespace: executionJournal.namespace,
          events: executionJournal.events,
        })
        .from(executionJournal)
        .where(this.#inKeys(theirs));
      for (const row of stored) {
        published.set(executionKey(this.#own(row)), {
          events: (row.events ?? []) as JournaledEvent[],
          ours: false,
        });
      }
    }
    return published;
  }

  /**
   * Takes over the open orders of these namespaces that nobody follows (this instance's own from
   * before a restart, or another's whose lease ran out) and returns them with their signals.
   */
  async claimOpenOrders(
    namespaces: readonly string[],
    recoverable: readonly string[] = [],
  ): Promise<OpenOrder[]> {
    if (namespaces.length === 0 && recoverable.length === 0) return [];
    const list = (values: readonly string[]) =>
      values.length === 0
        ? sql`null`
        : sql.join(
            values.map((value) => sql`${this.#prefix + value}`),
            sql`, `,
          );
    const now = this.#clock.now();
    const rows = await this.#db.rows<{
      signal_id: string;
      namespace: string;
      status: OpenOrder["status"];
      events: JournaledEvent[] | null;
      envelope: JournaledSignal;
      source_partition: number;
      source_offset: string;
    }>(sql`
      update ${executionJournal} as j
      set claimed_by = ${this.#followerId}, lease_until = ${new Date(now + this.#leaseMs)}
      from ${signalJournal} as s
      where s.signal_id = j.signal_id
        and (
          (j.status in ('placed', 'settled') and j.namespace in (${list(namespaces)})
            and (j.claimed_by in (${this.#instanceId}, ${this.#followerId})
              or j.lease_until < ${new Date(now)}))
          -- Left in flight past its lease: the pipeline stopped waiting for it, or its engine died.
          or (j.status = 'in_flight' and j.namespace in (${list(recoverable)})
            and j.lease_until < ${new Date(now)})
        )
      returning j.signal_id, j.namespace, j.status, j.events, s.envelope,
        s.source_partition, s.source_offset`);
    return rows.map((row) => ({
      signalId: row.signal_id,
      namespace: row.namespace.slice(this.#prefix.length),
      status: row.status,
      events: row.events ?? [],
      envelope: row.envelope,
      source: { partition: row.source_partition, offset: BigInt(row.source_offset) },
    }));
  }

  /** Keeps this instance's claim on the orders it follows. */
  async renewLeases(keys: readonly ExecutionKey[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#db.db
      .update(executionJournal)
      .set({ leaseUntil: new Date(this.#clock.now() + this.#leaseMs) })
      .where(
        and(
          inArray(executionJournal.claimedBy, [this.#instanceId, this.#followerId]),
          this.#inKeys([...keys]),
        ),
      );
  }

  /**
   * Stores the final event of a followed order. False when this instance no longer owns it
   * (another took it over): then it must not publish.
   */
  async settle(
    key: ExecutionKey,
    outcome: string,
    errorCode: string | null,
    event: JournaledEvent,
  ): Promise<boolean> {
    const rows = await this.#db.db
      .update(executionJournal)
      .set({
        status: "settled",
        outcome,
        errorCode,
        events: sql`coalesce(${executionJournal.events}, '[]'::jsonb) || ${JSON.stringify([event])}::jsonb`,
      })
      .where(
        and(
          eq(executionJournal.status, "placed"),
          inArray(executionJournal.claimedBy, [this.#instanceId, this.#followerId]),
          this.#inKeys([key]),
        ),
      )
      .returning({ signalId: executionJournal.signalId });
    return rows.length === 1;
  }

  /** Marks a settled order's final event as published. */
  async markPublished(key: ExecutionKey): Promise<void> {
    await this.#db.db
      .update(executionJournal)
      .set({ status: "completed", completedAt: new Date(this.#clock.now()) })
      .where(and(eq(executionJournal.status, "settled"), this.#inKeys([key])));
  }
}

/** What the first write of a batch stored; keys as `executionKey` makes them. */
export interface FirstWrite {
  allFresh: boolean;
  claimed: Set<string>;
  completed: Set<string>;
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

/** The events stored for an execution, and whether this instance's result is the one stored. */
export interface StoredResult {
  events: JournaledEvent[];
  ours: boolean;
}

/** An order a live broker accepted whose end the engine has not yet published. */
export interface OpenOrder extends ExecutionKey {
  status: "in_flight" | "placed" | "settled";
  events: JournaledEvent[];
  envelope: JournaledSignal;
  /** Where the signal was read: its order among the signals of its key. */
  source: { partition: number; offset: bigint };
}

/** `(signal_id, namespace) in ((...), ...)` for a list of keys. */
function inKeys(keys: ExecutionKey[]) {
  return sql`(${executionJournal.signalId}, ${executionJournal.namespace}) in (${sql.join(
    keys.map((key) => sql`(${key.signalId}, ${key.namespace})`),
    sql`, `,
  )})`;
}
