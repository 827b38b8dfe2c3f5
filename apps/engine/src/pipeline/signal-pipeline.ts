import {
  type Clock,
  decodeEvent,
  type ExecutionResult,
  ExecutionResultSchema,
  type ExecutionRouter,
  failedResult,
  isoNow,
  type KnownErrorCode,
  type Logger,
  type MarketHoursChecker,
  type SignalToExecute,
  type TopicMap,
  type TraderRegistry,
  type ValidatedSignalEvent,
  ValidatedSignalEventSchema,
} from "@engine/core";
import type { SignalDisposition } from "../db/schema.js";
import {
  type ClaimOutcome,
  type ClaimRequest,
  type Completion,
  type ExecutionJournal,
  executionKey,
  type JournaledEvent,
  type SignalRecord,
} from "../journal/execution-journal.js";
import type { EngineMetrics } from "../observability/metrics.js";
import {
  BatchAbandonedError,
  type InboundBatch,
  type InboundMessage,
  type OutboundMessage,
  type Subscription,
} from "../transport/transport.js";
import { deadLetter } from "./dead-letter.js";
import type { OrderFollower, PlacedOrder } from "./order-follower.js";
import type { PriceCache } from "./price-cache.js";
import { resultEvent } from "./result-events.js";

export interface SignalPipelineOptions {
  router: ExecutionRouter;
  registry: TraderRegistry;
  marketHours: MarketHoursChecker;
  prices: PriceCache;
  journal: ExecutionJournal;
  /** The validated-signals topic consumed, and its dead-letter topic. */
  signalTopic: string;
  dlqTopic: string;
  /** Output topics of an execution namespace. */
  outputTopics(namespace: string): TopicMap;
  /** Namespaces that place real orders. */
  liveNamespaces: ReadonlySet<string>;
  /** Shadow mode: live namespaces are simulated, never traded. */
  shadow: boolean;
  executionTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  /** Follows orders live brokers accepted; absent when no trader answers `placed`. */
  follower?: OrderFollower;
  /** Told when the database stops or starts answering (for readiness). */
  onDatabaseHealth?(healthy: boolean, reason?: string): void;
  retryDelayMs?: { initial: number; max: number };
}

interface Accepted {
  message: InboundMessage;
  event: ValidatedSignalEvent;
  signal: SignalToExecute;
  /** Executions of one key run in order. */
  orderingKey: string;
}

/** An execution a signal's record calls for. */
interface Planned {
  accepted: Accepted;
  namespace: string;
}

/** What the journal says of an execution: a claim outcome, or stored with the signal. */
type ExecutionState = ClaimOutcome | { kind: "journaled"; completion: Completion };

interface Execution extends Planned {
  outcome: ExecutionState;
  /** A simulated result reached before the claim, to journal instead of executing again. */
  early?: Completion | undefined;
}

const BUSY_POLL_MS = 200;

/** A live execution that outlasted the timeout, still running. */
interface Deferred {
  kind: "deferred";
  attempt: Promise<ExecutionResult>;
}

/**
 * Turns validated signals into order results: decode, decide (route, market hours), journal,
 * execute on every target namespace, journal the results, publish. A batch resolves only when
 * its results are acknowledged, so committing it afterwards never loses a signal, and the journal
 * makes a redelivered batch publish the same results without trading again.
 */
export class SignalPipeline {
  readonly #o: SignalPipelineOptions;
  readonly #retry: { initial: number; max: number };
  readonly #unreported = new WeakMap<Completion, () => void>();
  #databaseDown = false;

  constructor(options: SignalPipelineOptions) {
    this.#o = options;
    this.#retry = options.retryDelayMs ?? { initial: 200, max: 5_000 };
  }

  subscription(): Subscription {
    return { topic: this.#o.signalTopic, handle: (batch) => this.handle(batch) };
  }

  async handle(batch: InboundBatch): Promise<void> {
    const startedAt = performance.now();
    const accepted: Accepted[] = [];
    const dead: OutboundMessage[] = [];
    const seen = new Set<string>();
    for (const message of batch.messages) {
      const decoded = message.value ? decodeEvent(ValidatedSignalEventSchema, message.value) : null;
      if (!decoded?.ok) {
        const reason = decoded ? decoded.error.message : "empty message";
        this.#o.logger.warn(
          { topic: message.topic, offset: message.offset, reason },
          "dead letter",
        );
        dead.push(deadLetter(message, reason, this.#o.dlqTopic, this.#o.clock));
        continue;
      }
      const event = decoded.value;
      // A copy delivered twice in one batch is one signal.
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      accepted.push({
        message,
        event,
        signal: { id: event.id, data: event.data },
        orderingKey: message.key?.toString("utf8") ?? event.key,
      });
    }

    if (accepted.length > 0) {
      await this.#withDatabaseRetry(batch, () => this.#process(accepted, batch, startedAt));
    }
    await this.#o.publish(dead);
    if (dead.length > 0) this.#o.metrics.deadLetters.inc({ topic: batch.topic }, dead.length);
  }

  /**
   * Journals, executes and publishes the accepted signals of a batch.
   *
   * Simulated namespaces (no real order) are executed before anything is written: running one
   * twice costs nothing, so their results are stored together with the signals and the live
   * claims in one statement, and a paper-only batch costs a single round trip to the database.
   * Live namespaces are claimed before their trader is called, so they never trade twice.
   */
  async #process(accepted: Accepted[], batch: InboundBatch, startedAt: number): Promise<void> {
    const decided = await Promise.all(accepted.map((item) => this.#decide(item)));
    const ours = new Map(decided.map((record) => [record.signalId, record]));
    const planned = this.#planExecutions(accepted, ours);
    const simulated = planned.filter((item) => !this.#o.liveNamespaces.has(item.namespace));
    const early = await this.#executeInKeyOrder(
      simulated.map((item) => ({ ...item, outcome: { kind: "fresh" as const } })),
      ours,
    );
    const first = await this.#o.journal.recordAndClaim(
      decided,
      planned
        .filter((item) => this.#o.liveNamespaces.has(item.namespace))
        .map((item) => this.#claimRequest(item)),
      early,
    );

    let records = ours;
    let wanted = planned;
    const outcomes = new Map<string, ExecutionState>();
    if (first.allFresh) {
      for (const key of first.claimed) outcomes.set(key, { kind: "fresh" });
      for (const completion of early) {
        const key = executionKey(completion);
        if (first.completed.has(key)) {
          outcomes.set(key, { kind: "journaled", completion: this.#reported(completion) });
        }
      }
    } else {
      // Seen before: the decision stored when it first came rules, not ours.
      records = await this.#o.journal.recordSignals(decided);
      wanted = this.#planExecutions(accepted, records);
    }
    for (const item of accepted) {
      const record = records.get(item.event.id);
      if (!record) throw new Error(`signal ${item.event.id} missing from the journal`);
      this.#o.metrics.signalsReceived.inc({ disposition: record.disposition });
      if (record.disposition === "hold" || record.disposition === "no_target") {
        this.#o.logger.info(
          { ...signalContext(item), disposition: record.disposition, detail: record.detail },
          "signal recorded, nothing to execute",
        );
      }
    }

    const unclaimed = wanted.filter((item) => !outcomes.has(itemKey(item)));
    for (const [key, outcome] of await this.#claimAll(
      unclaimed.map((item) => this.#claimRequest(item)),
      batch,
    )) {
      outcomes.set(key, outcome);
    }
    // A simulated result reached before a claim this instance then made fresh is still valid.
    const reusable = new Map(early.map((completion) => [executionKey(completion), completion]));
    const executions: Execution[] = wanted.map((item) => {
      const key = itemKey(item);
      const outcome = outcomes.get(key);
      if (!outcome)
        throw new Error(`no claim outcome for ${item.accepted.event.id}/${item.namespace}`);
      const completion = reusable.get(key);
      return { ...item, outcome, early: outcome.kind === "fresh" ? completion : undefined };
    });

    const republished: JournaledEvent[] = [];
    const lanes = new Map<string, Execution[]>();
    for (const execution of executions) {
      if (execution.outcome.kind === "completed") {
        this.#o.metrics.republished.inc({ namespace: execution.namespace });
        this.#o.logger.info(
          { ...signalContext(execution.accepted), namespace: execution.namespace },
          "signal already executed: republishing its stored result",
        );
        republished.push(...execution.outcome.events);
        continue;
      }
      const lane = lanes.get(execution.namespace);
      if (lane) lane.push(execution);
      else lanes.set(execution.namespace, [execution]);
    }
    // Before the lanes: a redelivered batch's stored results belong to earlier signals than its
    // new ones, so publishing them first keeps each key's results in signal order.
    await this.#o.publish(republished.map(toMessage));
    // One lane per namespace, each publishing as soon as it is done: a slow broker never holds
    // back another namespace's results.
    await Promise.all([...lanes.values()].map((lane) => this.#runLane(lane, records, startedAt)));
  }

  /** The executions the records call for: every target of a routed or market-closed signal. */
  #planExecutions(accepted: Accepted[], records: Map<string, SignalRecord>): Planned[] {
    const planned: Planned[] = [];
    for (const item of accepted) {
      const record = records.get(item.event.id);
      if (!record || record.disposition === "hold" || record.disposition === "no_target") continue;
      for (const namespace of record.targets) planned.push({ accepted: item, namespace });
    }
    return planned;
  }

  #claimRequest(item: Planned): ClaimRequest {
    const shadow = this.#o.shadow && this.#o.liveNamespaces.has(item.namespace);
    return { signalId: item.accepted.event.id, namespace: item.namespace, shadow };
  }

  /** Claims; while another instance holds some, waits until it finishes or its lease runs out. */
  async #claimAll(claims: ClaimRequest[], batch: InboundBatch): Promise<Map<string, ClaimOutcome>> {
    let outcomes = await this.#o.journal.claim(claims);
    for (;;) {
      const busy = claims.filter((claim) => outcomes.get(executionKey(claim))?.kind === "busy");
      if (busy.length === 0) return outcomes;
      await sleep(BUSY_POLL_MS);
      await batch.heartbeat();
      if (!batch.isActive())
        throw new BatchAbandonedError("stopping while another instance held signals");
      const retried = await this.#o.journal.claim(busy);
      outcomes = new Map([...outcomes, ...retried]);
    }
  }

  /** Executes one namespace's share of the batch, journals it, publishes it, follows its orders. */
  async #runLane(
    lane: Execution[],
    records: Map<string, SignalRecord>,
    startedAt: number,
  ): Promise<void> {
    const journaled: Completion[] = [];
    const ready: Completion[] = [];
    const toRun: Execution[] = [];
    for (const execution of lane) {
      if (execution.outcome.kind === "journaled") journaled.push(execution.outcome.completion);
      else if (execution.early) ready.push(this.#reported(execution.early));
      else toRun.push(execution);
    }
    const executed = await this.#executeInKeyOrder(toRun, records);
    const completions = [...ready, ...executed.map((completion) => this.#reported(completion))];
    const stored = await this.#o.journal.complete(completions);
    for (const completion of journaled) {
      stored.set(executionKey(completion), { events: completion.events, ours: true });
    }
    const byKey = new Map(
      [...journaled, ...completions].map((completion) => [executionKey(completion), completion]),
    );
    const events: JournaledEvent[] = [];
    const placed: PlacedOrder[] = [];
    // In the lane's order, which is the batch's: each key's results go out in signal order.
    for (const execution of lane) {
      const key = itemKey(execution);
      const completion = byKey.get(key);
      const result = stored.get(key);
      if (!completion || !result) continue;
      events.push(...result.events);
      const placement = result.ours
        ? result.events.find((e) => e.event.type === "order_placed")
        : undefined;
      if (placement && completion.follow) {
        placed.push({
          signalId: completion.signalId,
          namespace: completion.namespace,
          signal: execution.accepted.signal,
          lineage: execution.accepted.event,
          placed: placement.event.data as PlacedOrder["placed"],
        });
      }
    }
    await this.#o.publish(events.map(toMessage));
    const seconds = (performance.now() - startedAt) / 1000;
    const namespace = lane[0]?.namespace ?? "unknown";
    for (let i = 0; i < byKey.size; i += 1) {
      this.#o.metrics.executionSeconds.observe({ namespace }, seconds);
    }
    // Only once `order_placed` is out: the end of an order never precedes its placement.
    for (const order of placed) this.#o.follower?.follow(order);
  }

  /** The decision for a signal seen for the first time. */
  async #decide(item: Accepted): Promise<SignalRecord> {
    const original = item.event.data.original_signal;
    const record = (disposition: SignalDisposition, targets: string[], detail: string | null) => ({
      signalId: item.event.id,
      strategyId: original.strategy_id,
      instrumentToken: original.instrument_token,
      signalType: original.signal_type,
      disposition,
      targets,
      detail,
      envelope: {
        id: item.event.id,
        correlation_id: item.event.correlation_id,
        trace_id: item.event.trace_id,
        data: item.event.data,
      },
      sourceTopic: item.message.topic,
      sourcePartition: item.message.partition,
      sourceOffset: item.message.offset,
    });
    if (original.signal_type === "HOLD") return record("hold", [], "HOLD places no order");
    const decision = await this.#o.router.route(original.strategy_id);
    // The configuration lives in the journal's database: unreadable, it is an outage like any
    // other. Journaling the router's fail-closed decision would drop the live namespaces of a
    // strategy that enables them for good, without a result; retrying holds the batch instead.
    if (decision.strategy === "unavailable") {
      throw new Error(`strategy configuration unavailable: ${decision.error}`);
    }
    const detail = decision.error ? `strategy configuration unavailable: ${decision.error}` : null;
    if (decision.namespaces.length === 0) {
      return record(
        "no_target",
        [],
        detail ?? `no namespace enabled (strategy ${decision.strategy})`,
      );
    }
    const market = this.#o.marketHours.status();
    if (!market.open) return record("market_closed", decision.namespaces, market.detail);
    return record("routed", decision.namespaces, detail);
  }

  /** Executes in order within a key, keys concurrently, a signal's namespaces concurrently. */
  async #executeInKeyOrder(
    executions: Execution[],
    records: Map<string, SignalRecord>,
  ): Promise<Completion[]> {
    const byKey = new Map<string, Execution[]>();
    for (const execution of executions) {
      if (execution.outcome.kind === "completed") continue;
      const list = byKey.get(execution.accepted.orderingKey);
      if (list) list.push(execution);
      else byKey.set(execution.accepted.orderingKey, [execution]);
    }
    const completions: Completion[] = [];
    await Promise.all(
      [...byKey.values()].map(async (list) => {
        for (const group of groupConsecutiveBySignal(list)) {
          const done = await Promise.all(
            group.map((execution) => {
              const record = records.get(execution.accepted.event.id);
              return this.#executeOne(
                execution,
                record?.disposition === "market_closed" ? record : null,
              );
            }),
          );
          for (const completion of done) if (completion) completions.push(completion);
        }
      }),
    );
    return completions;
  }

  async #executeOne(execution: Execution, closed: SignalRecord | null): Promise<Completion | null> {
    const { accepted, namespace } = execution;
    const result = closed
      ? this.#failed(accepted.signal, namespace, "MARKET_CLOSED", `market closed: ${closed.detail}`)
      : await this.#execute(accepted.signal, namespace, execution.outcome.kind === "interrupted");
    if (result.kind === "deferred") {
      this.#o.follower?.settleLater({
        signalId: accepted.event.id,
        namespace,
        signal: accepted.signal,
        lineage: accepted.event,
        attempt: result.attempt,
      });
      return null;
    }
    const event = resultEvent(
      accepted.event,
      namespace,
      result,
      this.#o.outputTopics(namespace),
      this.#o.clock,
    );
    const errorCode = result.kind === "failed" ? result.payload.error_code : null;
    const completion: Completion = {
      signalId: accepted.event.id,
      namespace,
      follow: result.kind === "placed" && this.#followsOrders(namespace),
      outcome: result.kind,
      errorCode,
      orderId: result.payload.order_id === "N/A" ? null : result.payload.order_id,
      events: [event],
    };
    const report = () => this.#report(accepted, namespace, result);
    // A simulated result reached before journaling may yet be discarded: reported once kept.
    if (execution.outcome.kind === "fresh" && !this.#o.liveNamespaces.has(namespace)) {
      this.#unreported.set(completion, report);
    } else {
      report();
    }
    return completion;
  }

  /** Logs and counts a result once it is the one journaled. */
  #reported(completion: Completion): Completion {
    this.#unreported.get(completion)?.();
    this.#unreported.delete(completion);
    return completion;
  }

  #report(accepted: Accepted, namespace: string, result: ExecutionResult): void {
    const errorCode = result.kind === "failed" ? result.payload.error_code : null;
    this.#o.metrics.results.inc({ namespace, outcome: result.kind, error_code: errorCode ?? "" });
    const log = result.kind === "failed" ? this.#o.logger.warn : this.#o.logger.info;
    log.call(
      this.#o.logger,
      {
        ...signalContext(accepted),
        namespace,
        outcome: result.kind,
        order_id: result.payload.order_id,
        ...(result.kind === "failed"
          ? { error_code: errorCode, error: result.payload.error_message }
          : {}),
        ...(result.kind === "filled"
          ? { fill_price: result.payload.fill_price, fees: result.payload.fees }
          : {}),
      },
      `order ${result.kind}`,
    );
  }

  /**
   * Runs the trader with a timeout; every way it can go wrong becomes a `failed` result, except a
   * live order that outlasts the timeout: it may still reach the broker, so its result is left to
   * the order follower (`deferred`) rather than reported as a failure it may not be.
   */
  async #execute(
    signal: SignalToExecute,
    namespace: string,
    interrupted: boolean,
  ): Promise<ExecutionResult | Deferred> {
    let trader: ReturnType<TraderRegistry["get"]>;
    try {
      trader = this.#o.registry.get(namespace);
    } catch (error) {
      return this.#failed(signal, namespace, "TRADER_UNAVAILABLE", errorMessage(error));
    }
    const quote = this.#o.prices.get(signal.data.original_signal.instrument_token);
    const live = this.#o.liveNamespaces.has(namespace) && !this.#o.shadow;
    let attempt: Promise<ExecutionResult>;
    if (interrupted && trader.recoverOrder) {
      attempt = trader.recoverOrder(signal, quote);
    } else if (interrupted && live) {
      // Without reconciliation, trading again could place the order twice.
      return this.#failed(
        signal,
        namespace,
        "TRADER_UNAVAILABLE",
        "execution was interrupted and this trader cannot reconcile it with the broker: check the broker before trading it again",
      );
    } else {
      attempt = trader.executeOrder(signal, quote);
    }

    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#o.executionTimeoutMs);
    });
    try {
      const result = await Promise.race([attempt, timeout]);
      if (result === "timeout") {
        if (live && trader.recoverOrder && this.#o.follower) {
          this.#o.logger.warn(
            { signal_id: signal.id, namespace, timeout_ms: this.#o.executionTimeoutMs },
            "live order still running after the timeout: its result will follow",
          );
          return { kind: "deferred", attempt };
        }
        return this.#failed(
          signal,
          namespace,
          "TRADER_UNAVAILABLE",
          `trader did not answer within ${this.#o.executionTimeoutMs} ms`,
        );
      }
      const checked = ExecutionResultSchema.safeParse(result);
      if (!checked.success) {
        this.#o.logger.error(
          { namespace, issues: checked.error.issues },
          "trader returned an invalid result",
        );
        return this.#failed(
          signal,
          namespace,
          "TRADER_UNAVAILABLE",
          "trader returned an invalid result",
        );
      }
      return checked.data;
    } catch (error) {
      this.#o.logger.error({ namespace, signal_id: signal.id, err: error }, "trader threw");
      return this.#failed(
        signal,
        namespace,
        "TRADER_UNAVAILABLE",
        `trader failed: ${errorMessage(error)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether the namespace's trader follows its placed orders to their end. */
  #followsOrders(namespace: string): boolean {
    if (!this.#o.follower) return false;
    try {
      return typeof this.#o.registry.get(namespace).awaitOrderCompletion === "function";
    } catch {
      return false;
    }
  }

  #failed(
    signal: SignalToExecute,
    namespace: string,
    code: KnownErrorCode,
    message: string,
  ): ExecutionResult {
    return failedResult(signal, { namespace, code, message, timestamp: isoNow(this.#o.clock) });
  }

  /**
   * Retries a batch while the database is unreachable. Holding the batch holds its partition:
   * nothing further is fetched, nothing is committed, nothing is lost.
   */
  async #withDatabaseRetry<T>(batch: InboundBatch, work: () => Promise<T>): Promise<T> {
    let delay = this.#retry.initial;
    for (;;) {
      try {
        const result = await work();
        if (this.#databaseDown) {
          this.#databaseDown = false;
          this.#o.logger.info({}, "database reachable again: resuming");
          this.#o.onDatabaseHealth?.(true);
        }
        return result;
      } catch (error) {
        if (error instanceof BatchAbandonedError) throw error;
        const reason = errorMessage(error);
        if (!this.#databaseDown) {
          this.#databaseDown = true;
          this.#o.onDatabaseHealth?.(false, reason);
        }
        this.#o.metrics.databaseRetries.inc();
        this.#o.logger.error(
          { err: reason, retry_in_ms: delay, topic: batch.topic, partition: batch.partition },
          "journal unavailable: holding the batch, executing nothing",
        );
        await sleep(delay);
        delay = Math.min(delay * 2, this.#retry.max);
        await batch.heartbeat().catch(() => {});
        if (!batch.isActive()) throw new BatchAbandonedError("stopping during a database outage");
      }
    }
  }
}

function itemKey(item: Planned): string {
  return executionKey({ signalId: item.accepted.event.id, namespace: item.namespace });
}

function toMessage(event: JournaledEvent): OutboundMessage {
  return { topic: event.topic, key: event.key, value: JSON.stringify(event.event) };
}

/** Consecutive executions of the same signal, so its namespaces run together. */
function groupConsecutiveBySignal(list: Execution[]): Execution[][] {
  const groups: Execution[][] = [];
  for (const execution of list) {
    const last = groups.at(-1);
    if (last && last[0]?.accepted.event.id === execution.accepted.event.id) last.push(execution);
    else groups.push([execution]);
  }
  return groups;
}

function signalContext(item: Accepted) {
  return {
    signal_id: item.event.id,
    strategy_id: item.event.data.original_signal.strategy_id,
    instrument_token: item.event.data.original_signal.instrument_token,
    correlation_id: item.event.correlation_id,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
