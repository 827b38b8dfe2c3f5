import { type ExecutionAnomaly, TRADING_STATES } from "@engine/core";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { withTimeout } from "../errors/with-timeout.js";

/** A trader's health as `engine_trader_ready` shows it. */
export interface TraderReadiness {
  namespace: string;
  /** Whether it places real orders (a live broker outside shadow mode). */
  live: boolean;
  ready: boolean;
}

/** What a namespace's follower follows, as `engine_open_orders` shows it. */
export interface FollowedOrders {
  namespace: string;
  /** Followed executions by status (`submitted`, `unknown`, `accepted`, `partially_filled`). */
  byStatus: Record<string, number>;
  /** Seconds the oldest `unknown` execution has been so; 0 when none is. */
  oldestUnknownSeconds: number;
}

/** How long `engine_journal_up` waits for the database at a scrape, ms. */
const JOURNAL_PING_TIMEOUT_MS = 2_000;

/** The engine's Prometheus metrics, on a registry of its own (no global state). */
export class EngineMetrics {
  readonly registry = new Registry();

  readonly signalsReceived = new Counter({
    name: "engine_signals_total",
    help: "Validated signals received, by what the engine decided",
    labelNames: ["disposition"] as const,
    registers: [this.registry],
  });

  readonly results = new Counter({
    name: "engine_results_total",
    help: "Execution results published, by namespace, outcome and error code",
    labelNames: ["namespace", "outcome", "error_code"] as const,
    registers: [this.registry],
  });

  readonly republished = new Counter({
    name: "engine_results_republished_total",
    help: "Stored results published again for a redelivered signal (no trader called)",
    labelNames: ["namespace"] as const,
    registers: [this.registry],
  });

  readonly executionSeconds = new Histogram({
    name: "engine_execution_seconds",
    help: "From a signal's batch being read to its first result acknowledged by the bus (for a live order: its order_placed), by namespace",
    labelNames: ["namespace"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly ticks = new Counter({
    name: "engine_ticks_total",
    help: "Market ticks applied to the price cache",
    registers: [this.registry],
  });

  readonly ticksPerSecond = new Gauge({
    name: "engine_ticks_per_second",
    help: "Ticks applied per second over the last scrape interval",
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: "engine_dead_letters_total",
    help: "Messages sent to a dead-letter topic",
    labelNames: ["topic"] as const,
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: "engine_consumer_lag",
    help: "Messages behind the high watermark at the last batch, by topic and partition",
    labelNames: ["topic", "partition"] as const,
    registers: [this.registry],
  });

  readonly databaseRetries = new Counter({
    name: "engine_database_retries_total",
    help: "Batches retried because the database could not be reached",
    registers: [this.registry],
  });

  readonly openExecutions = new Gauge({
    name: "engine_open_executions",
    help: "Executions followed now (open orders and orders whose state is unknown), by namespace",
    labelNames: ["namespace"] as const,
    registers: [this.registry],
  });

  readonly anomalies = new Counter({
    name: "engine_order_anomalies_total",
    help: "Broker behaviour that must never happen (a second order for one client order id, an order that vanished, an overfill), by namespace and kind",
    labelNames: ["namespace", "anomaly"] as const,
    registers: [this.registry],
  });

  readonly submitSeconds = new Histogram({
    name: "engine_submit_seconds",
    help: "How long traders took to answer a submission (queueing for the broker's rate limit included)",
    labelNames: ["namespace"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly followRoundSeconds = new Histogram({
    name: "engine_follow_round_seconds",
    help: "Duration of one round of following a namespace's open orders",
    labelNames: ["namespace"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly signalAgeSeconds = new Histogram({
    name: "engine_signal_age_seconds",
    help: "Age of a validated signal (from its timestamp) when it was executed, by namespace",
    labelNames: ["namespace"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly adopted = new Counter({
    name: "engine_executions_adopted_total",
    help: "Executions taken over from an instance whose lease ran out",
    labelNames: ["namespace"] as const,
    registers: [this.registry],
  });

  readonly fencedWrites = new Counter({
    name: "engine_fenced_writes_total",
    help: "Transitions refused because another instance had taken the execution over",
    labelNames: ["namespace"] as const,
    registers: [this.registry],
  });

  readonly cancels = new Counter({
    name: "engine_cancels_total",
    help: "Cancels the engine sent, by namespace and outcome (requested, too_late, failed)",
    labelNames: ["namespace", "outcome"] as const,
    registers: [this.registry],
  });

  /** Where `engine_trading_state` reads the scopes from at each scrape (the control board). */
  tradingStates: () => readonly { key: string; state: string; expired: boolean }[] = () => [];

  readonly tradingState = new Gauge({
    name: "engine_trading_state",
    help: "The trading state in force per scope (its control-topic key): 0 ACTIVE, 1 REDUCING, 2 HALTED; an expired change counts as ACTIVE",
    labelNames: ["scope"] as const,
    registers: [this.registry],
    collect: () => {
      // Read at each scrape: a change that expired shows as ACTIVE without anything happening.
      for (const scope of this.tradingStates()) {
        this.tradingState.set(
          { scope: scope.key },
          scope.expired
            ? 0
            : Math.max(0, (TRADING_STATES as readonly string[]).indexOf(scope.state)),
        );
      }
    },
  });

  /** Where `engine_trader_ready` reads the traders' health from at each scrape (the registry). */
  traders: () => readonly TraderReadiness[] = () => [];

  readonly traderReady = new Gauge({
    name: "engine_trader_ready",
    help: "1 when the namespace's trader is ready to take orders, 0 when not (no session, an expired token, failed to start); live=true for a namespace that places real orders",
    labelNames: ["namespace", "live"] as const,
    registers: [this.registry],
    collect: () => {
      for (const trader of this.traders()) {
        this.traderReady.set(
          { namespace: trader.namespace, live: String(trader.live) },
          trader.ready ? 1 : 0,
        );
      }
    },
  });

  /** Where `engine_open_orders` reads what is followed from at each scrape (the execution service). */
  followed: () => readonly FollowedOrders[] = () => [];

  readonly openOrders = new Gauge({
    name: "engine_open_orders",
    help: "Executions this instance follows now (sent and not yet ended), by namespace and state (submitted, unknown, accepted, partially_filled)",
    labelNames: ["namespace", "state"] as const,
    registers: [this.registry],
    collect: () => {
      for (const census of this.followed()) {
        // Every state, so one nothing is in any more reads 0, not its last count.
        for (const state of FOLLOWED_STATES) {
          this.openOrders.set({ namespace: census.namespace, state }, census.byStatus[state] ?? 0);
        }
      }
    },
  });

  readonly oldestUnknown = new Gauge({
    name: "engine_oldest_unknown_order_seconds",
    help: "How long the oldest execution whose order may or may not exist at the broker (state unknown) has been so, by namespace, seconds; 0 when none is",
    labelNames: ["namespace"] as const,
    registers: [this.registry],
    collect: () => {
      for (const census of this.followed()) {
        this.oldestUnknown.set({ namespace: census.namespace }, census.oldestUnknownSeconds);
      }
    },
  });

  /** Whether the journal's database answers (the engine's database connection). */
  journalPing: () => Promise<boolean> = async () => false;

  readonly journalUp = new Gauge({
    name: "engine_journal_up",
    help: "1 when the journal's database answered a query within 2 s at this scrape, 0 when not (nothing is executed while it is away)",
    registers: [this.registry],
    collect: async () => {
      const up = await withTimeout(this.journalPing(), JOURNAL_PING_TIMEOUT_MS).catch(() => false);
      this.journalUp.set(up ? 1 : 0);
    },
  });

  /** Whether this instance's lease lets it send orders now. */
  leaseHealthy: () => boolean = () => false;

  readonly leaseUp = new Gauge({
    name: "engine_instance_lease_healthy",
    help: "1 while this instance's lease lets it send orders, 0 while it could not renew it in time (it sends nothing until it can: another instance may be taking its executions over)",
    registers: [this.registry],
    collect: () => {
      this.leaseUp.set(this.leaseHealthy() ? 1 : 0);
    },
  });

  readonly controlRefusals = new Counter({
    name: "engine_control_refusals_total",
    help: "Executions refused by a trading control, by namespace and error code (TRADING_HALTED, REDUCE_ONLY, RISK_REJECTED)",
    labelNames: ["namespace", "error_code"] as const,
    registers: [this.registry],
  });

  readonly controlCancels = new Counter({
    name: "engine_control_cancels_total",
    help: "Cancels of open orders a halt with cancel_open sent, by namespace and outcome (requested, too_late, failed)",
    labelNames: ["namespace", "outcome"] as const,
    registers: [this.registry],
  });

  readonly stageSeconds = new Histogram({
    name: "engine_stage_seconds",
    help: "Where a signal batch's time goes: decode, decide, journal, execute (simulated traders), produce",
    labelNames: ["stage"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly marketCalendarCovered = new Gauge({
    name: "engine_market_calendar_covered",
    help: "1 when a shipped or configured market calendar covers today's year (IST), 0 when the engine is trading on weekdays alone",
    registers: [this.registry],
  });

  readonly marketCalendarReloadFailures = new Counter({
    name: "engine_market_calendar_reload_failures_total",
    help: "Changes to MARKET_CALENDAR_FILE rejected (the last good calendar was kept)",
    registers: [this.registry],
  });

  /**
   * Gives the counters alerts watch a 0 for each series they can have, from the start: Prometheus
   * sees no increase in a counter whose first sample is already 1, so the first dead letter or
   * duplicate order after a restart would never fire an alert.
   */
  initialise(scope: { namespaces: readonly string[]; inputTopics: readonly string[] }): void {
    for (const topic of scope.inputTopics) this.deadLetters.inc({ topic }, 0);
    for (const namespace of scope.namespaces) {
      this.fencedWrites.inc({ namespace }, 0);
      for (const anomaly of ANOMALIES) this.anomalies.inc({ namespace, anomaly }, 0);
    }
  }

  #lastTickCount = 0;
  #lastTickAt = Date.now();

  /** Prometheus text exposition, refreshing derived gauges first. */
  async render(): Promise<string> {
    const now = Date.now();
    const count = (await this.ticks.get()).values[0]?.value ?? 0;
    const seconds = (now - this.#lastTickAt) / 1000;
    if (seconds > 0) this.ticksPerSecond.set((count - this.#lastTickCount) / seconds);
    this.#lastTickCount = count;
    this.#lastTickAt = now;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Every kind of anomaly, so that each has a series from the start (a missing one fails the build). */
const ANOMALIES = Object.keys({
  duplicate_order: true,
  order_after_failure: true,
  vanished_order: true,
  overfill: true,
  fill_without_price: true,
  out_of_order: true,
} satisfies Record<ExecutionAnomaly, true>);

/** The states an execution can be followed in: the non-final ones after its submission. */
const FOLLOWED_STATES = ["submitted", "unknown", "accepted", "partially_filled"] as const;
