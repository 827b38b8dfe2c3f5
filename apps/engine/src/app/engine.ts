import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  assertLiveCapable,
  type Clock,
  controlApplies,
  describeScope,
  type Env,
  ExecutionRouter,
  envList,
  type InstrumentRegistry,
  type Logger,
  loadAllSettings,
  preTradeLimitsFor,
  SettingsError,
  systemClock,
  TopicMap,
  type Trader,
  type TraderContext,
  TraderRegistry,
  type TradingControl,
} from "@engine/core";
import { z } from "zod";
import { registerConsole } from "../console/console-routes.js";
import { consumerLag } from "../console/consumer-lag.js";
import { RecentActivity } from "../console/recent-activity.js";
import { ControlBoard } from "../controls/control-board.js";
import { type ControlLog, InMemoryControlLog } from "../controls/control-log.js";
import { KafkaControlLog } from "../controls/kafka-control-log.js";
import { SharedOrderUsage } from "../controls/shared-order-usage.js";
import { TradingGate } from "../controls/trading-gate.js";
import { type DatabaseHandle, openDatabase } from "../db/database.js";
import { KiteInstrumentRegistry } from "../db/kite-instrument-registry.js";
import { PostgresStrategySource } from "../db/postgres-strategy-source.js";
import { classifyBusError } from "../errors/bus-errors.js";
import { withTimeout } from "../errors/with-timeout.js";
import { ExecutionService } from "../execution/execution-service.js";
import { InstanceLease } from "../execution/instance-lease.js";
import { SharedOrderBudget } from "../execution/shared-order-budget.js";
import type { TrackedExecution } from "../execution/tracked-execution.js";
import { registerControlRoutes } from "../http/control-routes.js";
import {
  HttpServer,
  type HttpServer as HttpServerType,
  type Readiness,
} from "../http/http-server.js";
import { ExecutionJournal } from "../journal/execution-journal.js";
import { PositionLedger } from "../journal/position-ledger.js";
import { EngineMetrics } from "../observability/metrics.js";
import type { ResultSink } from "../observability/result-lines.js";
import { MarketData } from "../pipeline/market-data.js";
import { PriceCache } from "../pipeline/price-cache.js";
import { SignalIntake } from "../pipeline/signal-intake.js";
import { tickSubscription } from "../pipeline/tick-handler.js";
import { type EngineSettings, EngineSettingsSchema } from "../settings/engine-settings.js";
import { InMemoryTransport } from "../transport/in-memory-transport.js";
import { KafkaTransport } from "../transport/kafka-transport.js";
import type { MessageTransport, OutboundMessage } from "../transport/transport.js";
import { startMarketCalendar } from "./market-calendar.js";
import {
  type AnyTraderPlugin,
  loadPluginModules,
  SHIPPED_PLUGINS,
  SIMULATOR_PLUGIN,
} from "./plugins.js";

const TRADER_RETRY_INTERVAL_MS = 15_000;

const PluginModulesSchema = z.object({ ENGINE_PLUGIN_MODULES: envList() });

export interface EngineOptions {
  env: Env;
  logger: Logger;
  /** Replaces the shipped plugins (tests). */
  plugins?: readonly AnyTraderPlugin[];
  clock?: Clock;
  /** Serve HTTP (default true). */
  http?: boolean;
  /**
   * Told when consumption stopped for good (a Kafka consumer its client gave up on): the process
   * should exit non-zero so its supervisor starts a fresh one. Without it, `/ready` says so.
   */
  onFatal?(error: Error): void;
  /** Told every result once it is out, instead of logging it (`LOG_FORMAT=lines`). */
  onResult?: ResultSink;
}

/** What `start()` built, for the app and for tests. */
export interface RunningEngine {
  settings: EngineSettings;
  transport: MessageTransport;
  database: DatabaseHandle;
  registry: TraderRegistry;
  metrics: EngineMetrics;
  httpPort: number | null;
  instanceId: string;
  /** The trading state of every scope, as this instance knows it. */
  controls: ControlBoard;
  positions: PositionLedger;
  /** What the console shows of this instance's recent executions, dead letters and latencies. */
  activity: RecentActivity;
  /** The platform's instrument registry (symbols of tokens). */
  instruments: InstrumentRegistry;
  /** Namespaces with a trader, in registration order. */
  namespaces: string[];
  topics: {
    signals: string;
    ticks: string;
    output(namespace: string): TopicMap;
    dlq(topic: string): string;
  };
}

/**
 * The composition root: the only place that knows every concrete piece. Builds the engine from
 * the environment, starts it in dependency order and stops it in reverse.
 */
export class Engine {
  readonly #o: EngineOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #stopSteps: { name: string; run: () => Promise<void> }[] = [];
  #running: RunningEngine | null = null;
  #databaseHealthy = true;
  #databaseReason: string | undefined;
  #consuming = false;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
  }

  /**
   * Reads and validates all configuration, the engine's and every plugin's, reporting every bad
   * variable at once.
   * @throws SettingsError naming each bad variable
   */
  async configure(): Promise<{
    settings: EngineSettings;
    plugins: AnyTraderPlugin[];
    pluginSettings: Map<string, { enabled: boolean }>;
  }> {
    const { ENGINE_PLUGIN_MODULES } = loadAllSettings([PluginModulesSchema], this.#o.env)[0];
    const plugins = [
      ...(this.#o.plugins ?? SHIPPED_PLUGINS),
      ...(await loadPluginModules(ENGINE_PLUGIN_MODULES)),
    ];
    const schemas = [
      EngineSettingsSchema,
      ...plugins.map((plugin) => plugin.settingsSchema),
    ] as const;
    const [settings, ...perPlugin] = loadAllSettings(schemas, this.#o.env) as [
      EngineSettings,
      ...{ enabled: boolean }[],
    ];
    const pluginSettings = new Map<string, { enabled: boolean }>();
    for (const [index, plugin] of plugins.entries()) {
      pluginSettings.set(plugin.namespace, perPlugin[index] ?? { enabled: false });
    }
    assertKnownNamespaces(settings, plugins);
    return { settings, plugins, pluginSettings };
  }

  async start(): Promise<RunningEngine> {
    const { settings, plugins, pluginSettings } = await this.configure();
    const logger = this.#logger;
    const clock = this.#clock;
    const shadow = settings.mode === "shadow";
    const prefix = shadow ? settings.shadowTopicPrefix : "";
    const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    const metrics = new EngineMetrics();
    logger.info(
      {
        instance_id: instanceId,
        mode: settings.mode,
        namespace: settings.namespace,
        transport: settings.kafka ? "kafka" : "in-process",
        database: settings.databaseUrl ? "postgresql" : "embedded pglite",
        market_hours: settings.marketHours.mode,
      },
      "starting trading engine",
    );

    // Before anything opens: a bad calendar file stops start-up.
    const market = await startMarketCalendar({
      settings: settings.marketHours,
      clock,
      logger,
      metrics,
    });
    this.#onStop("market calendar", () => market.stop());

    const database = openDatabase(settings.databaseUrl, logger);
    this.#onStop("database", () => database.close());
    await database.migrate();
    logger.info({ driver: database.kind }, "database migrated");

    const registry = new TraderRegistry({ timeoutMs: settings.traderInitTimeoutMs, logger });
    const prices = new PriceCache({ maxAgeMs: settings.priceMaxAgeMs, clock });
    const marketData = new MarketData(prices);
    // Traders built below reach the execution service (made further down) through this.
    let executions: ExecutionService | undefined;
    const instruments = new KiteInstrumentRegistry(database.sql, clock);
    this.#registerTraders(registry, {
      plugins,
      pluginSettings,
      shadow,
      context: (namespace) => ({
        sql: database.sql,
        instruments,
        namespace,
        clock,
        logger: logger.child({ namespace }),
        marketData,
        ordersChanged: () => executions?.ordersChanged(namespace),
      }),
    });
    const namespaces = registry.namespaces();

    const input = new TopicMap(settings.namespace);
    const output = new Map(
      namespaces.map((namespace) => [namespace, new TopicMap(namespace, { prefix })]),
    );
    const outputTopics = (namespace: string) =>
      output.get(namespace) ?? new TopicMap(namespace, { prefix });
    const dlq = (topic: string) => new TopicMap(settings.namespace, { prefix }).dlq(topic);
    const topics = {
      signals: input.signalsValidated(),
      ticks: settings.ticksTopic,
      output: outputTopics,
      dlq,
    };

    const activity = new RecentActivity({ now: () => clock.now() });
    const deadLetterTopics = new Set([dlq(topics.signals), dlq(topics.ticks)]);
    const transport = await this.#openTransport(settings, {
      instanceId,
      dlq,
      onDeadLetter: (letter) => activity.recordDeadLetter(letter),
      metrics,
    });
    this.#onStop("transport", () => transport.close());

    const wanted = [
      topics.signals,
      topics.ticks,
      dlq(topics.signals),
      dlq(topics.ticks),
      ...namespaces.flatMap((namespace) => {
        const map = outputTopics(namespace);
        return [map.ordersSubmitted(), map.ordersFilled(), map.ordersFailed()];
      }),
    ];
    metrics.initialise({ namespaces, inputTopics: [topics.signals, topics.ticks] });
    const created = await transport.ensureTopics(wanted);
    if (created.length > 0) logger.info({ topics: created }, "created missing topics");

    await registry.initialize();
    this.#onStop("traders", () => registry.shutdown());
    // A trader refused at start (a broker session whose token is rotated later) gets more tries.
    const retryTraders = setInterval(() => {
      void registry.retryFailed().then((ready) => {
        if (ready.length > 0) logger.info({ namespaces: ready }, "traders ready after a retry");
      });
    }, TRADER_RETRY_INTERVAL_MS);
    retryTraders.unref();
    this.#onStop("trader retries", async () => clearInterval(retryTraders));

    const router = new ExecutionRouter({
      targets: plugins.map((plugin) => ({
        namespace: plugin.namespace,
        live: plugin.live,
        enabled: namespaces.includes(plugin.namespace),
        enabledFor: (strategy) => plugin.enabledFor(strategy),
      })),
      strategies: new PostgresStrategySource(database.db),
      cacheTtlMs: settings.strategyConfigTtlMs,
      clock,
      logger,
    });
    const journal = new ExecutionJournal(database, {
      instanceId,
      clock,
      // A shadow engine may share the database with a normal one: its executions are its own.
      namespacePrefix: prefix,
    });
    // Trading controls: read from the control log's beginning before anything is executed.
    const controlLog = this.#controlLog(settings, transport, instanceId);
    const board = new ControlBoard({ log: controlLog, clock, logger, metrics });
    this.#onStop("trading controls", () => board.stop());
    // A control topic that cannot order or keep its changes stops start-up, naming it.
    await controlLog.connect();
    void board.start().catch((error: unknown) => {
      // Orders stay held (fail closed); the process exits to be restarted.
      logger.error({ err: String(error) }, "the control topic cannot be read");
      this.#o.onFatal?.(error instanceof Error ? error : new Error(String(error)));
    });
    const positions = new PositionLedger(database, prefix);
    const livePlugins = new Set(plugins.filter((plugin) => plugin.live).map((p) => p.namespace));
    const gate = new TradingGate({
      board,
      exposure: (namespace, strategyId, token) => positions.exposure(namespace, strategyId, token),
      limits: (namespace) =>
        preTradeLimitsFor(settings.preTrade, namespace, livePlugins.has(namespace) && !shadow),
      usage: new SharedOrderUsage({ database, namespacePrefix: prefix }),
      quote: (token) => marketData.quote(token),
      metrics,
    });

    const orderBudget = new SharedOrderBudget({
      database,
      namespacePrefix: prefix,
      instanceId,
      maxWaitMs: settings.orderBudgetMaxWaitMs,
      marginMs: settings.orderBudgetMarginMs,
    });
    const lease = new InstanceLease({ journal, leaseMs: settings.leaseMs, logger });
    await lease.start();
    this.#onStop("instance lease", () => lease.stop());
    const publish = async (messages: readonly OutboundMessage[]) => {
      try {
        await transport.publish(messages);
      } catch (error) {
        throw classifyBusError(error);
      }
      for (const message of messages) {
        if (deadLetterTopics.has(message.topic)) activity.recordDeadLetter(message);
      }
    };
    executions = new ExecutionService({
      registry,
      journal,
      lease,
      quote: (token) => marketData.quote(token),
      outputTopics,
      publish,
      liveNamespaces: livePlugins,
      gate,
      orderBudget,
      onPublished: (result) => activity.recordResult(result),
      shadow,
      executionTimeoutMs: settings.executionTimeoutMs,
      maxSubmitAttempts: settings.maxSubmitAttempts,
      orderTtlMs: (namespace) => {
        const ms = settings.orderTtl.byNamespace[namespace] ?? settings.orderTtl.defaultMs;
        return ms > 0 ? ms : null;
      },
      signalAge: settings.signalAge,
      cancelOnOpen: (execution) => {
        const halt = board.cancellingHalt({
          namespace: execution.namespace,
          strategyId: execution.signal.data.original_signal.strategy_id,
        });
        return halt === null ? null : haltCancelReason(halt);
      },
      adoptIntervalMs: Math.max(1_000, Math.floor(settings.leaseMs / 3)),
      clock,
      logger,
      metrics,
      ...(this.#o.onResult ? { onResult: this.#o.onResult } : {}),
    });
    await executions.start();
    const service = executions;
    // Read at each scrape, so the gauges say how things are, not how they were at the last event.
    metrics.followed = () => service.followed();
    metrics.leaseHealthy = () => lease.healthy();
    metrics.journalPing = () =>
      database.ping().then(
        () => this.#databaseHealthy,
        () => false,
      );
    metrics.traders = () =>
      Object.entries(registry.health()).map(([namespace, health]) => ({
        namespace,
        live: livePlugins.has(namespace) && !shadow,
        ready: health.status === "ready",
      }));
    this.#onStop("executions", () => service.stop());
    board.onChange((control) => void this.#cancelOnHalt(control, service, logger));
    board.onChange((control) => activity.recordControl(control));

    const maxMessageBytes =
      transport instanceof KafkaTransport ? transport.maxMessageBytes : undefined;
    const intake = new SignalIntake({
      router,
      marketHours: market.checker,
      executions: service,
      signalTopic: topics.signals,
      dlqTopic: dlq(topics.signals),
      maxMessageBytes,
      clock,
      logger,
      metrics,
      publish,
      onDatabaseHealth: (healthy, reason) => {
        this.#databaseHealthy = healthy;
        this.#databaseReason = reason;
      },
    });

    let httpPort: number | null = null;
    if (this.#o.http !== false) {
      const http: HttpServerType = new HttpServer({
        port: settings.httpPort,
        metrics,
        readiness: () => this.#readiness(),
        routes: (app) => {
          registerControlRoutes(app, {
            board,
            positions,
            adminToken: settings.adminToken,
            namespaces: () => namespaces,
            clock,
            logger,
          });
          registerConsole(app, {
            activity,
            board,
            positions,
            instanceId,
            mode: settings.kafka ? "kafka" : "embedded",
            adminWritable: settings.adminToken !== null,
            namespaces: () => namespaces,
            health: () => registry.health(),
            openOrders: () => service.openExecutions(),
            orderBudget: (namespace) => registry.lookup(namespace)?.capabilities.orderBudget,
            budgetInUse: (namespace) => orderBudget.inUse(namespace),
            consumerLag: async () => (settings.kafka ? consumerLag(metrics) : null),
          });
        },
      });
      httpPort = await http.start();
      this.#onStop("http", () => http.stop());
      logger.info({ port: httpPort }, "http listening: /health /ready /metrics /control /api");
      logger.info({ port: httpPort }, `console: http://127.0.0.1:${httpPort}/`);
    }

    await transport.start({
      signals: intake.subscription(),
      ticks: tickSubscription({
        prices: marketData,
        topic: topics.ticks,
        dlqTopic: dlq(topics.ticks),
        clock,
        metrics,
        publish,
        maxMessageBytes,
      }),
    });
    this.#consuming = true;
    this.#onStop("consumption", async () => {
      this.#consuming = false;
      await transport.stop();
    });
    logger.info({ signals: topics.signals, namespaces, shadow }, "trading engine consuming");

    this.#running = {
      settings,
      transport,
      database,
      registry,
      metrics,
      httpPort,
      instanceId,
      controls: board,
      positions,
      activity,
      instruments,
      namespaces,
      topics,
    };
    return this.#running;
  }

  /**
   * Registers a trader for each enabled plugin. Shadow mode never reaches a live broker: the
   * simulator executes live namespaces instead.
   * @throws when a live trader cannot resolve an ambiguous submission (it must not start at all)
   */
  #registerTraders(
    registry: TraderRegistry,
    o: {
      plugins: readonly AnyTraderPlugin[];
      pluginSettings: ReadonlyMap<string, { enabled: boolean }>;
      shadow: boolean;
      context: (namespace: string) => Omit<TraderContext, "settings">;
    },
  ): void {
    const simulatorSettings =
      o.pluginSettings.get(SIMULATOR_PLUGIN.namespace) ?? SIMULATOR_PLUGIN.settingsSchema.parse({});
    for (const plugin of o.plugins) {
      const settings = o.pluginSettings.get(plugin.namespace);
      if (!settings?.enabled) continue;
      const context = o.context(plugin.namespace);
      const trader: Trader =
        o.shadow && plugin.live
          ? SIMULATOR_PLUGIN.create({ ...context, settings: simulatorSettings })
          : plugin.create({ ...context, settings });
      if (plugin.live && !o.shadow) assertLiveCapable(trader);
      registry.register(trader);
    }
  }

  /** Kafka when it is configured (connected here), else the in-process bus. */
  async #openTransport(
    settings: EngineSettings,
    o: {
      instanceId: string;
      dlq: (topic: string) => string;
      onDeadLetter: (letter: OutboundMessage) => void;
      metrics: EngineMetrics;
    },
  ): Promise<MessageTransport> {
    if (!settings.kafka) return new InMemoryTransport();
    const shadow = settings.mode === "shadow";
    const transport = new KafkaTransport({
      ...settings.kafka,
      signalGroupId: `${settings.groupIdPrefix}.trading_engine${shadow ? ".shadow" : ""}`,
      tickGroupId: `${settings.groupIdPrefix}.trading_engine.ticks.${o.instanceId}`,
      deadLetterTopic: o.dlq,
      onDeadLetter: o.onDeadLetter,
      onFatal: (error) => this.#o.onFatal?.(error),
      clock: this.#clock,
      logger: this.#logger,
      metrics: o.metrics,
    });
    await transport.connect();
    return transport;
  }

  /** The control topic on Kafka, or on the in-process bus in embedded mode. */
  #controlLog(
    settings: EngineSettings,
    transport: MessageTransport,
    instanceId: string,
  ): ControlLog {
    if (settings.kafka && transport instanceof KafkaTransport) {
      return new KafkaControlLog({
        connection: settings.kafka,
        topic: settings.controlTopic,
        groupId: `${settings.groupIdPrefix}.trading_engine.control.${instanceId}`,
        replicationFactor: settings.kafka.replicationFactor,
        createIfMissing: true,
        logger: this.#logger,
      });
    }
    return new InMemoryControlLog(transport as InMemoryTransport, settings.controlTopic);
  }

  /** Stops in reverse order of start: consumption (finishing batches in hand), traders, HTTP, database. */
  async stop(): Promise<void> {
    const steps = this.#stopSteps.reverse();
    this.#stopSteps = [];
    for (const step of steps) {
      try {
        await step.run();
      } catch (error) {
        this.#logger.error(
          { step: step.name, err: error instanceof Error ? error.message : String(error) },
          "stop step failed",
        );
      }
    }
    this.#running = null;
  }

  #onStop(name: string, run: () => Promise<void>): void {
    this.#stopSteps.push({ name, run });
  }

  /** A halt with `cancel_open`: cancels this instance's open orders in its scope. */
  async #cancelOnHalt(
    control: TradingControl,
    service: ExecutionService,
    logger: Logger,
  ): Promise<void> {
    if (control.state !== "HALTED") return;
    const at = this.#clock.now();
    const inScope = (execution: TrackedExecution) =>
      controlApplies(
        control,
        {
          namespace: execution.namespace,
          strategyId: execution.signal.data.original_signal.strategy_id,
        },
        at,
      );
    // Orders waiting in a trader's own queue are not sent after a halt, cancel_open or not.
    const withdrawn = service.withdrawSubmissions(inScope);
    if (withdrawn > 0) {
      logger.warn(
        { scope: describeScope(control), withdrawn },
        "halt: submissions not yet sent withdrawn from the traders",
      );
    }
    if (!control.cancel_open) return;
    const { sent, unsupported } = await service.cancelOpen(inScope, haltCancelReason(control));
    logger.warn(
      { scope: describeScope(control), cancels_sent: sent, cannot_cancel: unsupported },
      "halt with cancel_open: open orders in scope cancelled",
    );
  }

  async #readiness(): Promise<Readiness> {
    const running = this.#running;
    const checks: Readiness["checks"] = {};
    if (!running) return { ready: false, checks: { engine: { ok: false, reason: "starting" } } };
    checks.controls = running.controls.caughtUp
      ? { ok: true }
      : { ok: false, reason: "reading the control topic" };
    const transport = running.transport.health();
    checks.kafka =
      transport.connected && this.#consuming
        ? { ok: true }
        : { ok: false, reason: transport.reason ?? "not consuming" };
    try {
      await withTimeout(running.database.ping(), 2_000);
      checks.database = this.#databaseHealthy
        ? { ok: true }
        : { ok: false, reason: this.#databaseReason ?? "unreachable" };
    } catch (error) {
      checks.database = {
        ok: false,
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    for (const [namespace, health] of Object.entries(running.registry.health())) {
      checks[`trader:${namespace}`] =
        health.status === "ready" ? { ok: true } : { ok: false, reason: health.reason };
    }
    return { ready: Object.values(checks).every((check) => check.ok), checks };
  }
}

/** What an order cancelled by a halt with `cancel_open` ends with. */
function haltCancelReason(control: TradingControl): { code: string; message: string } {
  return {
    code: "TRADING_HALTED",
    message: `cancelled: trading halted by ${describeScope(control)} (operator ${control.operator}): ${control.reason}`,
  };
}

/**
 * Per-namespace settings may name only namespaces a plugin serves: a limit or a time in force for
 * a misspelt namespace would apply to nothing, and the namespace it was meant for would go without.
 * @throws SettingsError naming each variable with an unknown namespace
 */
function assertKnownNamespaces(settings: EngineSettings, plugins: readonly AnyTraderPlugin[]) {
  const known = plugins.map((plugin) => plugin.namespace);
  const issues = [
    { variable: "RISK_LIMITS_BY_NAMESPACE", named: Object.keys(settings.preTrade.byNamespace) },
    { variable: "ORDER_TTL_MS_BY_NAMESPACE", named: Object.keys(settings.orderTtl.byNamespace) },
  ].flatMap(({ variable, named }) =>
    named
      .filter((namespace) => !known.includes(namespace))
      .map((namespace) => ({
        variable,
        message: `unknown namespace "${namespace}": the plugins serve ${known.join(", ")}`,
      })),
  );
  if (issues.length > 0) throw new SettingsError(issues);
}
