import type { OrderBudget } from "@engine/core";
import { sql } from "drizzle-orm";
import pLimit, { type LimitFunction } from "p-limit";
import type { DatabaseHandle } from "../db/database.js";
import { orderBudget } from "../db/schema.js";

/** Rows are deleted once they can no longer count in any window (every this many takes). */
const CLEAN_EVERY = 500;
const IST_OFFSET = "5 hours 30 minutes";

export interface SharedOrderBudgetOptions {
  database: DatabaseHandle;
  /** The journal's namespace prefix (a shadow engine's): its budget rows are its own. */
  namespacePrefix?: string;
  /** The longest a submission waits for room, ms; past it the order is refused (`RATE_LIMITED`). */
  maxWaitMs: number;
  /**
   * How much longer than its length each window is counted, ms: a slot's time is taken before
   * its request leaves, and the broker counts the order when it arrives, so two orders a little
   * over a second apart here may land a little under a second apart there.
   */
  marginMs: number;
}

/** What `take` answers: the order may go, or why it may not. */
export type BudgetAnswer = { taken: true } | { taken: false; reason: string };

/**
 * The order budget every instance trading a namespace shares: a broker's limits are per account,
 * so two instances each within them could together exceed them. Each live order takes one slot
 * through the database before it is sent; the slots of the last second, minute and IST day are
 * counted under an advisory lock per namespace (one transaction: lock, count, insert), by the
 * database's clock. The trader's own per-process limiter still applies after it.
 */
export class SharedOrderBudget {
  readonly #o: SharedOrderBudgetOptions;
  /**
   * One take at a time per namespace in this instance: a take waiting for the lock (or for room)
   * holds a database connection, and many at once would starve the journal writes of the orders
   * already let through, delaying them into the next window, where they would bunch up.
   */
  readonly #queues = new Map<string, LimitFunction>();
  #takes = 0;

  constructor(options: SharedOrderBudgetOptions) {
    this.#o = options;
  }

  /**
   * Takes one slot of the namespace's budget, waiting for room up to `maxWaitMs`.
   * @throws DatabaseUnavailableError (retryable) when the database cannot be reached
   */
  take(namespace: string, budget: OrderBudget): Promise<BudgetAnswer> {
    let queue = this.#queues.get(namespace);
    if (!queue) {
      queue = pLimit(1);
      this.#queues.set(namespace, queue);
    }
    const deadline = performance.now() + this.#o.maxWaitMs;
    return queue(() => this.#takeBefore(namespace, budget, deadline));
  }

  async #takeBefore(
    namespace: string,
    budget: OrderBudget,
    deadline: number,
  ): Promise<BudgetAnswer> {
    for (;;) {
      const waitMs = await this.#tryTake((this.#o.namespacePrefix ?? "") + namespace, budget);
      if (waitMs === 0) return { taken: true };
      if (performance.now() + waitMs > deadline) {
        return {
          taken: false,
          reason: `the account's order budget shared by every instance (${budget.perSecond}/s, ${budget.perMinute}/min, ${budget.perDay}/day) had no room within ${this.#o.maxWaitMs} ms`,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** One try: 0 when a slot was taken, else how long until one may free up, ms. */
  async #tryTake(namespace: string, budget: OrderBudget): Promise<number> {
    const margin = this.#o.marginMs;
    const clean = ++this.#takes % CLEAN_EVERY === 0;
    return this.#o.database.transaction(async (rows) => {
      await rows(
        sql`select pg_advisory_xact_lock(hashtext(${`engine_order_budget:${namespace}`}))`,
      );
      // clock_timestamp(), not now(): the time after the lock was granted, not the transaction's start.
      const [count] = await rows<{
        now_ms: string;
        second: string;
        minute: string;
        day: string;
        second_oldest_ms: string | null;
        minute_oldest_ms: string | null;
        day_end_ms: string;
      }>(sql`
        with at as (select clock_timestamp() as now),
        recent as (
          select ${orderBudget.sentAt} as sent_at from ${orderBudget}, at
          where ${orderBudget.namespace} = ${namespace}
            and ${orderBudget.sentAt} >= date_trunc('day', at.now + interval '${sql.raw(IST_OFFSET)}') - interval '${sql.raw(IST_OFFSET)}'
        )
        select
          (extract(epoch from at.now) * 1000)::bigint::text as now_ms,
          count(*) filter (where sent_at > at.now - ${`${1_000 + margin} milliseconds`}::interval)::text as second,
          count(*) filter (where sent_at > at.now - ${`${60_000 + margin} milliseconds`}::interval)::text as minute,
          count(*)::text as day,
          (extract(epoch from min(sent_at) filter (where sent_at > at.now - ${`${1_000 + margin} milliseconds`}::interval)) * 1000)::bigint::text as second_oldest_ms,
          (extract(epoch from min(sent_at) filter (where sent_at > at.now - ${`${60_000 + margin} milliseconds`}::interval)) * 1000)::bigint::text as minute_oldest_ms,
          (extract(epoch from date_trunc('day', at.now + interval '${sql.raw(IST_OFFSET)}') + interval '1 day' - interval '${sql.raw(IST_OFFSET)}') * 1000)::bigint::text as day_end_ms
        from at left join recent on true
        group by at.now`);
      if (!count) throw new Error("the order budget's count returned no row");
      const now = Number(count.now_ms);
      const waits: number[] = [];
      if (Number(count.day) >= budget.perDay) waits.push(Number(count.day_end_ms) - now);
      if (Number(count.minute) >= budget.perMinute) {
        waits.push(Number(count.minute_oldest_ms) + 60_000 + margin - now);
      }
      if (Number(count.second) >= budget.perSecond) {
        waits.push(Number(count.second_oldest_ms) + 1_000 + margin - now);
      }
      if (waits.length > 0) return Math.max(1, ...waits);
      await rows(
        sql`insert into ${orderBudget} (namespace, sent_at) values (${namespace}, clock_timestamp())`,
      );
      if (clean) {
        await rows(
          sql`delete from ${orderBudget} where ${orderBudget.namespace} = ${namespace} and ${orderBudget.sentAt} < clock_timestamp() - interval '2 days'`,
        );
      }
      return 0;
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
        and ${orderBudget.sentAt} >= date_trunc('day', clock_timestamp() + interval '${sql.raw(IST_OFFSET)}') - interval '${sql.raw(IST_OFFSET)}'`);
    return {
      second: Number(row?.second ?? 0),
      minute: Number(row?.minute ?? 0),
      day: Number(row?.day ?? 0),
    };
  }
}
