import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
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
 * `in_flight`: handed to the trader, result not yet stored;
 * `placed`: a live broker accepted the order, the engine follows it to its end;
 * `settled`: the final result is stored but not yet published;
 * `completed`: every result of the execution is stored and published.
 */
export type ExecutionStatus = "in_flight" | "placed" | "settled" | "completed";

/**
 * One row per (signal, namespace): written before the trader is called and completed with its
 * result, so a redelivered signal republishes the stored result instead of trading again.
 */
export const executionJournal = pgTable(
  "engine_execution_journal",
  {
    signalId: text("signal_id").notNull(),
    namespace: text("namespace").notNull(),
    status: text("status").$type<ExecutionStatus>().notNull(),
    /** Executed by the paper simulator in place of a live broker (shadow mode). */
    shadow: boolean("shadow").notNull().default(false),
    attempts: integer("attempts").notNull().default(1),
    claimedBy: text("claimed_by").notNull(),
    leaseUntil: timestamp("lease_until", { withTimezone: true }).notNull(),
    outcome: text("outcome"),
    errorCode: text("error_code"),
    orderId: text("order_id"),
    /** The result events exactly as published, ids included. */
    events: jsonb("events").$type<unknown[]>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (table) => [
    primaryKey({ columns: [table.signalId, table.namespace] }),
    index("engine_execution_journal_open_idx")
      .on(table.namespace, table.status)
      .where(sql`${table.status} <> 'completed'`),
  ],
);

export const schema = { strategyConfigurations, signalJournal, executionJournal };
