import { randomUUID } from "node:crypto";
import {
  type Clock,
  type ExecutionEvent,
  type MarketQuote,
  silentLogger,
  systemClock,
  TopicMap,
  type Trader,
  TraderRegistry,
  type ValidatedSignalEvent,
} from "@engine/core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type DatabaseHandle, openDatabase, sql } from "../db/database.js";
import {
  type BatchControl,
  type ExecutionGate,
  ExecutionService,
  type ExecutionServiceOptions,
  type IntakeSignal,
  type SignalAgePolicy,
} from "../execution/execution-service.js";
import { InstanceLease } from "../execution/instance-lease.js";
import { ExecutionJournal, type SignalRecord } from "../journal/execution-journal.js";
import { EngineMetrics } from "../observability/metrics.js";
import type { OutboundMessage } from "../transport/transport.js";

/** Every instrument's last price is 100, without depth. */
export function fixedQuote(token: number): MarketQuote {
  return {
    instrumentToken: token,
    lastPrice: 100,
    bestBid: null,
    bestAsk: null,
    hasDepth: false,
    timestamp: null,
  };
}

/**
 * A test file's embedded database and the services it starts, stopped after each test and the
 * database closed after the file: call at the top of the file.
 */
export function useServiceTestbed(): {
  database(): DatabaseHandle;
  start(options: ServiceOptions): Promise<ServiceUnderTest>;
} {
  let database: DatabaseHandle | undefined;
  const running: ServiceUnderTest[] = [];
  beforeAll(async () => {
    database = await openEmbeddedDatabase();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(running.splice(0).map((instance) => instance.stop()));
  });
  afterAll(async () => {
    await database?.close();
  });
  const opened = () => {
    if (!database) throw new Error("the testbed's database opens in beforeAll");
    return database;
  };
  return {
    database: opened,
    start: async (options) => {
      const instance = await startService(opened(), options);
      running.push(instance);
      return instance;
    },
  };
}

/** A migrated embedded database (PGlite) for a test file; close it after. */
export async function openEmbeddedDatabase(): Promise<DatabaseHandle> {
  const database = openDatabase(null, silentLogger);
  await database.migrate();
  return database;
}

/**
 * A migrated embedded database shared by a test file's tests: opened before them, closed after.
 * @returns the database, once the file's `beforeAll` ran
 */
export function embeddedDatabaseForFile(): () => DatabaseHandle {
  let database: DatabaseHandle | undefined;
  beforeAll(async () => {
    database = await openEmbeddedDatabase();
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });
  return () => {
    if (!database) throw new Error("the embedded database is opened in beforeAll");
    return database;
  };
}

export interface ServiceOptions {
  traders: Trader[];
  /** Namespaces that place real orders (default: every trader's but `paper`). */
  live?: readonly string[];
  executionTimeoutMs?: number;
  leaseMs?: number;
  orderTtlMs?: number | null;
  signalAge?: Partial<SignalAgePolicy>;
  maxSubmitAttempts?: number;
  clock?: Clock;
  /** Trading controls (default none). */
  gate?: ExecutionGate;
  /** The order budget shared by instances (default none). */
  orderBudget?: ExecutionServiceOptions["orderBudget"];
  /** Told every result once it is out (the console's feed). */
  onPublished?: ExecutionServiceOptions["onPublished"];
  /** Told every result instead of logging it (the terminal's lines). */
  onResult?: ExecutionServiceOptions["onResult"];
}

/** One engine instance's execution service on a shared database, publishing into `published`. */
export interface ServiceUnderTest {
  instanceId: string;
  service: ExecutionService;
  journal: ExecutionJournal;
  lease: InstanceLease;
  metrics: EngineMetrics;
  published: OutboundMessage[];
  /** Stops the service and ends its lease (a graceful stop). */
  stop(): Promise<void>;
  /**
   * Cuts this instance off its lease (renewals fail) and makes the lease run out now, stopping
   * nothing else: a process frozen or isolated while its calls run on.
   */
  partition(): Promise<void>;
  /**
   * Fails this instance's lease renewals (true) or lets them through again (false), leaving its
   * lease in the database as it is: a database that stops answering for a while.
   */
  failRenewals(failing: boolean): void;
}

/** Starts an execution service as the engine builds it, on `database`, with these traders. */
export async function startService(
  database: DatabaseHandle,
  options: ServiceOptions,
): Promise<ServiceUnderTest> {
  const instanceId = `test-${randomUUID().slice(0, 8)}`;
  const clock = options.clock ?? systemClock;
  const registry = new TraderRegistry({ timeoutMs: 2_000 });
  for (const trader of options.traders) registry.register(trader);
  await registry.initialize();
  const journal = new ExecutionJournal(database, { instanceId, clock });
  let partitioned = false;
  const lease = new InstanceLease({
    // A partition cuts this instance off its lease only: what a frozen or isolated process sees.
    journal: {
      renewLease: (...args) =>
        partitioned
          ? Promise.reject(new Error("partitioned from the database"))
          : journal.renewLease(...args),
      retire: () => journal.retire(),
    },
    leaseMs: options.leaseMs ?? 3_000,
    logger: silentLogger,
  });
  await lease.start();
  const metrics = new EngineMetrics();
  const published: OutboundMessage[] = [];
  const live = new Set(
    options.live ?? options.traders.map((t) => t.executionMode).filter((ns) => ns !== "paper"),
  );
  const service = new ExecutionService({
    registry,
    journal,
    lease,
    quote: fixedQuote,
    outputTopics: (namespace) => new TopicMap(namespace),
    publish: async (messages) => {
      published.push(...messages);
    },
    liveNamespaces: live,
    shadow: false,
    executionTimeoutMs: options.executionTimeoutMs ?? 2_000,
    maxSubmitAttempts: options.maxSubmitAttempts ?? 3,
    orderTtlMs: () => options.orderTtlMs ?? null,
    signalAge: {
      maxAgeMs: 60_000,
      clockSkewMs: 1_000,
      appliesToSimulated: true,
      ...options.signalAge,
    },
    adoptIntervalMs: 200,
    ...(options.gate ? { gate: options.gate } : {}),
    ...(options.orderBudget ? { orderBudget: options.orderBudget } : {}),
    ...(options.onPublished ? { onPublished: options.onPublished } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
    clock,
    logger: silentLogger,
    metrics,
  });
  await service.start();
  return {
    instanceId,
    service,
    journal,
    lease,
    metrics,
    published,
    stop: async () => {
      await service.stop();
      await lease.stop();
      await registry.shutdown();
    },
    failRenewals: (failing) => {
      partitioned = failing;
    },
    partition: async () => {
      partitioned = true;
      await database.rows(
        sql`update engine_instances set lease_until = now() - interval '1 second'
            where instance_id = ${instanceId}`,
      );
    },
  };
}

export interface SignalOptions {
  strategyId?: string;
  /** The Kafka key (default `strategy_id:token`). */
  orderingKey?: string;
  instrumentToken?: number;
  signalType?: "BUY" | "SELL";
  quantity?: number;
  price?: number | null;
  /** The validated signal's timestamp (default now). */
  timestamp?: string;
  targets: readonly string[];
  disposition?: SignalRecord["disposition"];
}

/** A validated signal as intake hands it to the execution service. */
export function intakeSignal(options: SignalOptions): IntakeSignal {
  const id = randomUUID();
  const strategyId = options.strategyId ?? "momentum_1";
  const token = options.instrumentToken ?? 738561;
  const ts = options.timestamp ?? new Date().toISOString();
  const price = options.price === undefined ? 101.5 : options.price;
  const quantity = options.quantity ?? 10;
  const event: ValidatedSignalEvent = {
    id,
    type: "validated_signal",
    ts,
    key: `${strategyId}:${token}`,
    source: "risk_manager",
    broker: "paper",
    version: 1,
    correlation_id: `corr-${id}`,
    causation_id: null,
    trace_id: `trace-${id}`,
    parent_trace_id: null,
    data: {
      original_signal: {
        strategy_id: strategyId,
        instrument_token: token,
        signal_type: options.signalType ?? "BUY",
        quantity,
        price,
        timestamp: ts,
        confidence: null,
        metadata: null,
      },
      validated_quantity: quantity,
      validated_price: price,
      risk_checks: {},
      timestamp: ts,
    },
  };
  return {
    event,
    orderingKey: options.orderingKey ?? event.key,
    record: {
      signalId: id,
      strategyId,
      instrumentToken: token,
      signalType: options.signalType ?? "BUY",
      disposition: options.disposition ?? "routed",
      targets: [...options.targets],
      detail: options.disposition === "market_closed" ? "the session closed at 15:30 IST" : null,
      envelope: {
        id,
        correlation_id: event.correlation_id,
        trace_id: event.trace_id,
        data: event.data,
      },
      sourceTopic: "paper.signals.validated",
      sourcePartition: 0,
      sourceOffset: String(Math.floor(Math.random() * 1e9)),
    },
  };
}

/** A batch that stays active, for `execute`. */
export const ACTIVE_BATCH: BatchControl = {
  heartbeat: async () => {},
  isActive: () => true,
};

/** The published events of a type (and signal), parsed. */
export function eventsOf(
  published: readonly OutboundMessage[],
  type: string,
  signalId?: string,
): { id: string; type: string; causation_id: string; data: Record<string, unknown> }[] {
  return published
    .map((message) => JSON.parse(message.value))
    .filter(
      (event) => event.type === type && (signalId === undefined || event.causation_id === signalId),
    );
}

/** Waits until `check` holds, or fails after `timeoutMs` with `what`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export type { ExecutionEvent };
