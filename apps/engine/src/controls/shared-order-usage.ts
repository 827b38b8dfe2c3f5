import type { PreTradeUsage, PreTradeVerdict } from "@engine/core";
import { sql } from "drizzle-orm";
import type { DatabaseHandle } from "../db/database.js";
import { strategyOrders } from "../db/schema.js";
import { retryWhileRetryable } from "../errors/retry.js";
import { istDayStart, OrderUsage, type UsageCounter } from "./order-usage.js";

const MINUTE_MS = 60_000;
/** Rows are deleted once they can no longer count (every this many orders counted). */
const CLEAN_EVERY = 500;

export interface SharedOrderUsageOptions {
  database: DatabaseHandle;
  /** The journal's namespace prefix (a shadow engine's): its counts are its own. */
  namespacePrefix?: string;
}

/**
 * The orders every instance let through, per strategy and namespace, for the pre-trade limits on
 * orders per minute and per day and daily notional: two instances must not each allow the limit.
 *
 * The rule, enforced in `admit`: an order is judged and counted in one transaction holding an
 * advisory lock per (namespace, strategy), so the judgement of each order sees every order any
 * instance let through before it, and the sum never exceeds a limit. Orders are placed in time by
 * the engine clock of the instance that let them through, and a judgement counts every order from
 * the window's start on (`at - 60 s` for the minute, the IST day's start), including those stamped
 * after `at` by an instance whose clock runs ahead: clocks that differ move a window's start, never
 * hide an order from the count. An order counted and then not sent (the broker's budget had no
 * room, the broker refused it) stays counted, as in memory.
 *
 * Fast path: this instance's own counts are a lower bound of everyone's, so an order they already
 * refuse is refused without the database.
 */
export class SharedOrderUsage implements UsageCounter {
  readonly #o: SharedOrderUsageOptions;
  readonly #local = new OrderUsage();
  #counted = 0;

  constructor(options: SharedOrderUsageOptions) {
    this.#o = options;
  }

  /** Retries while the database is away: an order waits rather than pass uncounted. */
  async admit(
    namespace: string,
    strategyId: string,
    at: number,
    judge: (usage: PreTradeUsage) => PreTradeVerdict,
  ): Promise<PreTradeVerdict> {
    const local = judge(this.#local.of(namespace, strategyId, at));
    if (local.kind === "refuse") return local;
    const verdict = await retryWhileRetryable(() =>
      this.#admitShared((this.#o.namespacePrefix ?? "") + namespace, strategyId, at, judge),
    );
    if (verdict.kind === "pass") this.#local.record(namespace, strategyId, at, verdict.notional);
    return verdict;
  }

  #admitShared(
    namespace: string,
    strategyId: string,
    at: number,
    judge: (usage: PreTradeUsage) => PreTradeVerdict,
  ): Promise<PreTradeVerdict> {
    const clean = ++this.#counted % CLEAN_EVERY === 0;
    const now = new Date(at).toISOString();
    const minuteAgo = new Date(at - MINUTE_MS).toISOString();
    const dayStart = new Date(istDayStart(at)).toISOString();
    return this.#o.database.transaction(async (rows) => {
      await rows(
        sql`select pg_advisory_xact_lock(hashtext(${`engine_strategy_orders:${namespace}:${strategyId}`}))`,
      );
      const [usage] = await rows<{ minute: string; day: string; notional: string }>(sql`
        select
          count(*) filter (where ${strategyOrders.sentAt} > ${minuteAgo}::timestamptz)::text as minute,
          count(*) filter (where ${strategyOrders.sentAt} >= ${dayStart}::timestamptz)::text as day,
          coalesce(sum(${strategyOrders.notional}) filter (where ${strategyOrders.sentAt} >= ${dayStart}::timestamptz), 0)::text as notional
        from ${strategyOrders}
        where ${strategyOrders.namespace} = ${namespace}
          and ${strategyOrders.strategyId} = ${strategyId}
          and ${strategyOrders.sentAt} >= least(${dayStart}::timestamptz, ${minuteAgo}::timestamptz)`);
      const verdict = judge({
        ordersLastMinute: Number(usage?.minute ?? 0),
        ordersToday: Number(usage?.day ?? 0),
        notionalToday: Number(usage?.notional ?? 0),
      });
      if (verdict.kind === "refuse") return verdict;
      await rows(sql`
        insert into ${strategyOrders} (namespace, strategy_id, sent_at, notional)
        values (${namespace}, ${strategyId}, ${now}::timestamptz, ${verdict.notional ?? 0})`);
      if (clean) {
        await rows(
          sql`delete from ${strategyOrders} where ${strategyOrders.sentAt} < ${now}::timestamptz - interval '2 days'`,
        );
      }
      return verdict;
    });
  }
}
