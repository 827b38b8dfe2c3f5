import type { OrderBudget } from "@engine/core";
import { type SQL, sql } from "drizzle-orm";
import PQueue from "p-queue";
import type { DatabaseHandle } from "../db/database.js";
import { engineInstances, orderBudget } from "../db/schema.js";

/** Rows are deleted once they can no longer count in any window (every this many takes). */
const CLEAN_EVERY = 500;
const IST_OFFSET = "5 hours 30 minutes";

/** The start of the IST trading day holding the SQL time `at`, as SQL. */
function istDayStart(at: SQL): SQL {
  return sql`(date_trunc('day', ${at} + interval '${sql.raw(IST_OFFSET)}') - interval '${sql.raw(IST_OFFSET)}')`;
}

/** How soon a take blocked by requests still in flight tries again, ms. */
const IN_FLIGHT_POLL_MS = 20;
const HALF_HOUR_MS = 30 * 60_000;

/** A budget as its refusal names it: `10/s, 500/min, 2000/30 min, 25000/day`. */
function describe(budget: OrderBudget): string {
  const halfHour = budget.perHalfHour === undefined ? "" : `, ${budget.perHalfHour}/30 min`;
  return `${budget.perSecond}/s, ${budget.perMinute}/min${halfHour}, ${budget.perDay}/day`;
}

/** What the budget's query counts of a namespace's recent requests (numbers as text; times in epoch ms). */
interface WindowCounts {
  now_ms: string;
  second: string;
  minute: string;
  half_hour: string;
  day: string;
  /** When the earliest answered request of the window ended: a window later it frees a slot. */
  second_frees_ms: string | null;
  minute_frees_ms: string | null;
  half_hour_frees_ms: string | null;
  day_end_ms: string;
}

/** How long until a request of `kind` may fit every window, ms; null when it fits now. */
function waitForRoom(
  count: WindowCounts,
  budget: OrderBudget,
  kind: BudgetKind,
  margin: number,
): number | null {
  const now = Number(count.now_ms);
  // A window held full by requests still in flight frees up when one is answered: soon.
  const frees = (at: string | null, windowMs: number) =>
    at === null ? IN_FLIGHT_POLL_MS : Number(at) + windowMs + margin - now;
  const waits: number[] = [];
  if (kind === "order" && Number(count.day) >= budget.perDay) {
    waits.push(Number(count.day_end_ms) - now);
  }
  if (Number(count.minute) >= budget.perMinute) waits.push(frees(count.minute_frees_ms, 60_000));
  if (budget.perHalfHour !== undefined && Number(count.half_hour) >= budget.perHalfHour) {
    waits.push(frees(count.half_hour_frees_ms, HALF_HOUR_MS));
  }
  if (Number(count.second) >= budget.perSecond) waits.push(frees(count.second_frees_ms, 1_000));
  return waits.length > 0 ? Math.max(1, ...waits) : null;
}

export interface SharedOrderBudgetOptions {
  database: DatabaseHandle;
  /** The journal's namespace prefix (a shadow engine's): its budget rows are its own. */
  namespacePrefix?: string;
  /**
   * This instance's id (its lease in `engine_instances`): a request it never ends counts until
   * its lease runs out at the latest. Without one, until the request's longest call.
   */
  instanceId?: string;
  /** The longest a request waits for room, ms; past it the order is refused (`RATE_LIMITED`). */
  maxWaitMs: number;
  /**
   * How much longer than its length each window is counted, ms: room for the broker's clock and
   * the database's to tick at slightly different rates and round differently. Transit time needs
   * none: a request counts from its slot until a window after its answer (see `SharedOrderBudget`).
   */
  marginMs: number;
}

/**
 * What a request is: a placement (`order`) counts per second, minute, half hour (where the budget
 * has one) and day; a `cancel` in every window but the day.
 */
export type BudgetKind = "order" | "cancel";

/**
 * What `take` answers: the request may go, and `release` must be called once it is over (answered,
 * or given up on; never rejects: an end that cannot be written counts until the take's `inFlightMs`);
 * or why it may not.
 */
export type BudgetAnswer =
  | { taken: true; release(): Promise<void> }
  | { taken: false; reason: string };

/**
 * The order budget every instance trading a namespace shares: a broker's limits are per account,
 * so two instances each within them could together exceed them. Each live order request (a
 * placement, a cancel) takes one slot through the database before it is sent and gives it back
 * when answered; the slots are counted under an advisory lock per namespace (one transaction:
 * lock, count, insert), by the database's clock.
 *
 * The rule: a request occupies every window from its slot until one window after its end. The
 * broker counts it at some moment between the two, so when the last of any n requests the
 * broker saw within one window took its slot, the other n - 1 were all counted (taken before, and
 * not yet a window past their end): n never exceeds the limit, however late a request reaches the
 * broker or its answer comes back, and whichever instance's clock is off. The trader's own
 * per-process limiter still applies after it.
 */
export class SharedOrderBudget {
  readonly #o: SharedOrderBudgetOptions;
  /**
   * One take at a time per namespace in this instance: a take waiting for the lock (or for room)
   * holds a database connection, and many at once would starve the journal writes of the orders
   * already let through, delaying them into the next window, where they would bunch up. Cancels
   * go first: they reduce risk, and one queued behind minutes of placements would leave an
   * expired order open that long.
   */
  readonly #queues = new Map<string, PQueue>();
  #takes = 0;

  constructor(options: SharedOrderBudgetOptions) {
    this.#o = options;
  }

  /**
   * Takes one slot of the namespace's budget for a request of `kind`, waiting for room up to
   * `maxWaitMs`. `inFlightMs` is the longest the request's call may run: a request whose end is
   * never written (its process died) counts as ended then.
   * @throws DatabaseUnavailableError (retryable) when the database cannot be reached
   */
  take(
    namespace: string,
    budget: OrderBudget,
    kind: BudgetKind,
    inFlightMs: number,
  ): Promise<BudgetAnswer> {
    let queue = this.#queues.get(namespace);
    if (!queue) {
      queue = new PQueue({ concurrency: 1 });
      this.#queues.set(namespace, queue);
    }
    const deadline = performance.now() + this.#o.maxWaitMs;
    return queue.add(() => this.#takeBefore(namespace, budget, kind, inFlightMs, deadline), {
      priority: kind === "cancel" ? 1 : 0,
    });
  }

  async #takeBefore(
    namespace: string,
    budget: OrderBudget,
    kind: BudgetKind,
    inFlightMs: number,
    deadline: number,
  ): Promise<BudgetAnswer> {
    const key = (this.#o.namespacePrefix ?? "") + namespace;
    for (;;) {
      const tried = await this.#tryTake(key, budget, kind, inFlightMs);
      if (tried.kind === "taken") {
        const id = tried.id;
        let released: Promise<void> | undefined;
        return { taken: true, release: () => (released ??= this.#release(id)) };
      }
      if (performance.now() + tried.waitMs > deadline) {
        return {
          taken: false,
          reason: `the account's order budget shared by every instance (${describe(budget)}) had no room within ${this.#o.maxWaitMs} ms`,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, tried.waitMs));
    }
  }

  /** Marks a request over, by the database's clock. */
  async #release(id: string): Promise<void> {
    try {
      await this.#o.database.transaction((rows) =>
        rows(
          sql`update ${orderBudget} set ended_at = clock_timestamp() where ${orderBudget.id} = ${id}`,
        ),
      );
    } catch {
      // The row then counts until its `in_flight_until`: later, never sooner.
    }
  }

  /** One try: the slot's row id when taken, else how long until one may free up, ms. */
  async #tryTake(
    namespace: string,
    budget: OrderBudget,
    kind: BudgetKind,
    inFlightMs: number,
  ): Promise<{ kind: "taken"; id: string } | { kind: "wait"; waitMs: number }> {
    const margin = this.#o.marginMs;
    const clean = ++this.#takes % CLEAN_EVERY === 0;
    return this.#o.database.transaction(async (rows) => {
      await rows(
        sql`select pg_advisory_xact_lock(hashtext(${`engine_order_budget:${namespace}`}))`,
      );
      const second = `${1_000 + margin} milliseconds`;
      const minute = `${60_000 + margin} milliseconds`;
      const halfHour = `${HALF_HOUR_MS + margin} milliseconds`;
      // Rows older than the longest window counted (and not of today) no longer count.
      const longest = budget.perHalfHour === undefined ? minute : halfHour;
      // clock_timestamp(), not now(): the time after the lock was granted, not the transaction's
      // start. A request still in flight ends no sooner than now; one whose instance's lease ran
      // out ended by then (the instance sent nothing after); a row of the version before (no end,
      // `in_flight_until` defaulted to its transaction's start) ends when sent.
      const leaseEnded = sql`case when ${engineInstances.leaseUntil} <= at.now
        then greatest(${orderBudget.sentAt}, ${engineInstances.leaseUntil}) end`;
      const [count] = await rows<WindowCounts>(sql`
        with at as (select clock_timestamp() as now),
        recent as (
          select ${orderBudget.sentAt} as sent_at, ${orderBudget.kind} as kind,
            coalesce(${orderBudget.endedAt}, least(at.now, greatest(${orderBudget.sentAt}, ${orderBudget.inFlightUntil}), ${leaseEnded})) as ends,
            ${orderBudget.endedAt} is null and ${orderBudget.inFlightUntil} > at.now and ${leaseEnded} is null as in_flight
          from ${orderBudget} cross join at
            left join ${engineInstances} on ${engineInstances.instanceId} = ${orderBudget.instanceId}
          where ${orderBudget.namespace} = ${namespace}
            and (${orderBudget.sentAt} >= ${istDayStart(sql`at.now`)}
              or coalesce(${orderBudget.endedAt}, ${orderBudget.inFlightUntil}) > at.now - ${longest}::interval)
        )
        select
          (extract(epoch from at.now) * 1000)::bigint::text as now_ms,
          count(*) filter (where ends > at.now - ${second}::interval)::text as second,
          count(*) filter (where ends > at.now - ${minute}::interval)::text as minute,
          count(*) filter (where ends > at.now - ${halfHour}::interval)::text as half_hour,
          count(*) filter (where kind = 'order' and sent_at >= ${istDayStart(sql`at.now`)})::text as day,
          (extract(epoch from min(ends) filter (where not in_flight and ends > at.now - ${second}::interval)) * 1000)::bigint::text as second_frees_ms,
          (extract(epoch from min(ends) filter (where not in_flight and ends > at.now - ${minute}::interval)) * 1000)::bigint::text as minute_frees_ms,
          (extract(epoch from min(ends) filter (where not in_flight and ends > at.now - ${halfHour}::interval)) * 1000)::bigint::text as half_hour_frees_ms,
          (extract(epoch from ${istDayStart(sql`at.now`)} + interval '1 day') * 1000)::bigint::text as day_end_ms
        from at left join recent on true
        group by at.now`);
      if (!count) throw new Error("the order budget's count returned no row");
      const waitMs = waitForRoom(count, budget, kind, margin);
      if (waitMs !== null) return { kind: "wait", waitMs };
      const [inserted] = await rows<{ id: string }>(
        sql`insert into ${orderBudget} (namespace, sent_at, in_flight_until, kind, instance_id)
          values (${namespace}, clock_timestamp(), clock_timestamp() + ${`${inFlightMs} milliseconds`}::interval, ${kind}, ${this.#o.instanceId ?? null})
          returning id::text as id`,
      );
      if (!inserted) throw new Error("the order budget's insert returned no row");
      if (clean) {
        await rows(
          sql`delete from ${orderBudget} where ${orderBudget.namespace} = ${namespace} and ${orderBudget.sentAt} < clock_timestamp() - interval '2 days'`,
        );
      }
      return { kind: "taken", id: inserted.id };
    });
  }

  /**
   * The slots every instance took for a namespace in the last second, minute and IST day (the
   * windows `take` counts, without its margin), by the database's clock.
   * @throws DatabaseUnavailableError (retryable) when the database cannot be reached
   */
  async inUse(namespace: string): Promise<{ second: number; minute: number; day: number }> {
    const [row] = await this.#o.database.rows<{ second: string; minute: string; day: string }>(sql`
      select
        count(*) filter (where ${orderBudget.sentAt} > clock_timestamp() - interval '1 second')::text as second,
        count(*) filter (where ${orderBudget.sentAt} > clock_timestamp() - interval '1 minute')::text as minute,
        count(*)::text as day
      from ${orderBudget}
      where ${orderBudget.namespace} = ${(this.#o.namespacePrefix ?? "") + namespace}
        and ${orderBudget.sentAt} >= ${istDayStart(sql`clock_timestamp()`)}`);
    return {
      second: Number(row?.second ?? 0),
      minute: Number(row?.minute ?? 0),
      day: Number(row?.day ?? 0),
    };
  }
}
