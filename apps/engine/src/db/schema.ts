import type { ExecutionState, ExecutionStatus } from "@engine/core";
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * The platform's shared strategy table, exactly as the contract has it. The engine creates it
 * only when missing and never alters it: other services own it too.
 */
export const strategyConfigurations = pgTable("strategy_configurations", {
  id: text("id").primaryKey(),
  strategyType: text("strategy_type"),
  instruments: jsonb("instruments").$type<number[]>(),
  parameters: jsonb("parameters").$type<Record<string, unknown>>(),
  isActive: boolean("is_active").default(true),
  zerodhaTradingEnabled: boolean("zerodha_trading_enabled").default(false),
  createdAt: timestamp("created_at", { withTimezone: true }).defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }),
});

/**
 * The engine's own routing table: which live namespaces a strategy trades on, one row per
 * (strategy, namespace). A live namespace is a target of a strategy when it is enabled globally
 * and here (Zerodha also through the shared table's legacy `zerodha_trading_enabled`). Adding a
 * broker adds rows, never a column of the shared table.
 */
export const strategyExecutionTargets = pgTable(
  "strategy_execution_targets",
  {
    strategyId: text("strategy_id").notNull(),
    namespace: text("namespace").notNull(),
    enabled: boolean("enabled").notNull().default(false),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.strategyId, table.namespace] })],
);

/** Why a signal led to no execution, or `routed` when it led to some. */
export type SignalDisposition = "routed" | "hold" | "no_target" | "market_closed";

/** One row per validated signal the engine accepted: what it decided, once. */
export const signalJournal = pgTable(
  "engine_signal_journal",
  {
    signalId: text("signal_id").primaryKey(),
    strategyId: text("strategy_id").notNull(),
    instrumentToken: bigint("instrument_token", { mode: "number" }).notNull(),
    signalType: text("signal_type").notNull(),
    disposition: text("disposition").$type<SignalDisposition>().notNull(),
    /** The namespaces decided at first receipt; a redelivery reuses them. */
    targets: jsonb("targets").$type<string[]>().notNull(),
    detail: text("detail"),
    /** The signal as received (lineage and payload): what a restarted engine needs to follow its orders. */
    envelope: jsonb("envelope").$type<JournaledSignal>().notNull(),
    sourceTopic: text("source_topic").notNull(),
    sourcePartition: integer("source_partition").notNull(),
    sourceOffset: text("source_offset").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("engine_signal_journal_strategy_idx").on(table.strategyId, table.receivedAt)],
);

/** What the journal keeps of a signal to act on it again later. */
export interface JournaledSignal {
  id: string;
  correlation_id: string;
  trace_id: string;
  data: unknown;
}

/**
 * One row per (signal, namespace): claimed before anything is sent and updated after every
 * transition of its execution state machine (`@engine/core`'s `transitionExecution`), so a
 * redelivered signal republishes what was stored instead of trading again, and an execution whose
 * owner died is taken over where it stood.
 *
 * Ownership: `claimed_by` is the owning engine instance (see `engine_instances`), `epoch` a fencing
 * token that every takeover increments; every write is conditional on both, so a process that
 * lost an execution can never store (or publish) anything for it again.
 */
export const executionJournal = pgTable(
  "engine_execution_journal",
  {
    signalId: text("signal_id").notNull(),
    namespace: text("namespace").notNull(),
    /** `ExecutionState["status"]`, repeated out of `state` for indexes and operators. */
    status: text("status").$type<ExecutionStatus>().notNull(),
    /** Executed by the paper simulator in place of a live broker (shadow mode). */
    shadow: boolean("shadow").notNull().default(false),
    attempts: integer("attempts").notNull().default(0),
    claimedBy: text("claimed_by").notNull(),
    epoch: integer("epoch").notNull().default(1),
    /** The whole `ExecutionState`, as the transition function left it. */
    state: jsonb("state").$type<ExecutionState>().notNull(),
    /** The final event's kind (`filled`, `failed`), null while open. */
    outcome: text("outcome"),
    errorCode: text("error_code"),
    orderId: text("order_id"),
    /** Every result event of the execution, in order, exactly as published (ids included). */
    events: jsonb("events").$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    /** How many of `events` are known to be published (live executions; 0 for simulated). */
    published: integer("published").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (table) => [
    primaryKey({ columns: [table.signalId, table.namespace] }),
    // What a takeover looks for: executions not ended, or ended with events still to publish.
    index("engine_execution_journal_unfinished_idx")
      .on(table.namespace, table.claimedBy)
      .where(
        sql`${table.status} in ('pending', 'submitted', 'unknown', 'accepted', 'partially_filled') or ${table.published} < jsonb_array_length(${table.events})`,
      ),
  ],
);

/**
 * One row per running engine instance: its lease. An instance renews it while it runs; when it
 * has run out (the process died, or lost the database for longer than the lease), other
 * instances take its unfinished executions over. Times are the database's, so instances need no
 * synchronised clocks.
 */
export const engineInstances = pgTable("engine_instances", {
  instanceId: text("instance_id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  leaseUntil: timestamp("lease_until", { withTimezone: true }).notNull(),
});

/**
 * One row per order request (a placement or a cancel) an instance was allowed to send, for the
 * order budget all instances of a namespace share (`SharedOrderBudget`). A row counts from
 * `sent_at` (its slot was taken) until a window's length after `ended_at` (its request was
 * answered, or given up on): wherever between the two the broker counted it, every window of the
 * broker's that holds it holds the row too. Times are the database's, so instances need no
 * synchronised clocks. A row never ended counts until `in_flight_until`, or until the lease of the
 * instance that took it (`instance_id`) ran out, whichever is sooner: an instance sends nothing once
 * its lease is at risk, so a request of one that died reached the broker before. Cancels count per
 * second and per minute, not per day (`kind`). Rows older than two days are deleted.
 */
export const orderBudget = pgTable(
  "engine_order_budget",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    namespace: text("namespace").notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** Until when a request with no `ended_at` counts (its process died): the longest its call runs. */
    inFlightUntil: timestamp("in_flight_until", { withTimezone: true }).notNull().defaultNow(),
    /** `order` (a placement) or `cancel`. */
    kind: text("kind").notNull().default("order"),
    /** The instance that took the slot (`engine_instances`); null on rows from before it was kept. */
    instanceId: text("instance_id"),
  },
  (table) => [index("engine_order_budget_idx").on(table.namespace, table.sentAt)],
);

/**
 * One row per order the trading gate let through, for the pre-trade limits counted per strategy
 * and namespace across every instance (`SharedOrderUsage`): orders in the last minute, orders and
 * notional in the IST trading day. `sent_at` is the engine's clock of the instance that let the
 * order through. Rows older than two days are deleted.
 */
export const strategyOrders = pgTable(
  "engine_strategy_orders",
  {
    namespace: text("namespace").notNull(),
    strategyId: text("strategy_id").notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }).notNull(),
    /** Quantity × price in the instrument's currency; 0 when unknown. */
    notional: doublePrecision("notional").notNull(),
  },
  (table) => [
    index("engine_strategy_orders_idx").on(table.namespace, table.strategyId, table.sentAt),
  ],
);

export const schema = {
  strategyConfigurations,
  strategyExecutionTargets,
  signalJournal,
  executionJournal,
  engineInstances,
  orderBudget,
  strategyOrders,
};
