import {
  type Clock,
  clientOrderId,
  type ExecutionEffect,
  type ExecutionEvent,
  type ExecutionPolicy,
  errorMessage,
  failedResult,
  isFinalStatus,
  type KnownErrorCode,
  type Logger,
  type MarketQuote,
  newExecutionState,
  type OrderBudget,
  type OrderQuery,
  type SignalToExecute,
  type SubmitResult,
  type TopicMap,
  type Trader,
  type TraderOperations,
  type TraderRegistry,
  traderOperations,
  transitionExecution,
  type ValidatedSignalEvent,
  ValidatedSignalSchema,
} from "@engine/core";
import { retryWhileRetryable } from "../errors/retry.js";
import type {
  AdoptedExecution,
  ExecutionJournal,
  JournaledEvent,
  NewExecution,
  SignalRecord,
} from "../journal/execution-journal.js";
import type { EngineMetrics, FollowedOrders } from "../observability/metrics.js";
import type { ResultSink } from "../observability/result-lines.js";
import type { OutboundMessage } from "../transport/transport.js";
import type { InstanceLease } from "./instance-lease.js";
import { NamespaceFollower, type NamespaceFollowerOptions } from "./namespace-follower.js";
import { type PublishedResult, ResultPublisher } from "./result-publisher.js";
import type { BudgetAnswer, BudgetKind } from "./shared-order-budget.js";
import { TrackedExecution } from "./tracked-execution.js";
import { callTrader, type TraderCallOptions, traderUnavailable } from "./trader-call.js";

/** How old a signal may be when it is executed; see `signalAge`. */
export interface SignalAgePolicy {
  /** The most a validated signal's `timestamp` may lie in the past at execution, ms. */
  maxAgeMs: number;
  /** Allowance for the clocks of the risk manager and this host to differ, ms. */
  clockSkewMs: number;
  /** Whether simulated namespaces (paper) refuse stale signals too. */
  appliesToSimulated: boolean;
}

/** A refusal by the engine's own checks: ends an execution in `order_failed` with `code`. */
export type RefuseEvent = Extract<ExecutionEvent, { type: "refuse" }> & { code: KnownErrorCode };

/**
 * The trading controls an execution passes right before it is sent (operator state, pre-trade
 * limits): a refusal, or null to send it.
 */
export interface ExecutionGate {
  /** Resolves once the controls are known; nothing is executed before (fail closed). */
  ready(): Promise<void>;
  /** The controls' refusal of an order (state and limits; counts one let through), or null. */
  check(execution: TrackedExecution, at: number): Promise<RefuseEvent | null>;
  /** The trading state's refusal of an order checked before, right before it is sent, or null. */
  recheck(execution: TrackedExecution, at: number): Promise<RefuseEvent | null>;
}

export interface ExecutionServiceOptions {
  registry: TraderRegistry;
  journal: ExecutionJournal;
  lease: InstanceLease;
  /** The last quote of an instrument (none when older than the engine's maximum price age). */
  quote(instrumentToken: number): MarketQuote | null;
  outputTopics(namespace: string): TopicMap;
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  /** Namespaces whose plugin places real orders. */
  liveNamespaces: ReadonlySet<string>;
  /** Shadow mode: live namespaces are simulated, never traded. */
  shadow: boolean;
  /** How long a trader's answer to a submission is awaited before the execution is `unknown`. */
  executionTimeoutMs: number;
  /** Submissions of one execution in all (after confirmed absences). */
  maxSubmitAttempts: number;
  /** Time in force of an open order on a namespace, ms, or null for none. */
  orderTtlMs(namespace: string): number | null;
  signalAge: SignalAgePolicy;
  /** Trading controls; none: every execution passes. */
  gate?: ExecutionGate;
  /**
   * The order budget all instances share, for traders that declare `orderBudget`; none: each
   * trader's own limiter alone.
   */
  orderBudget?: {
    take(
      namespace: string,
      budget: OrderBudget,
      kind: BudgetKind,
      inFlightMs: number,
    ): Promise<BudgetAnswer>;
  };
  /**
   * Why an open order of `execution` must be cancelled now (a halt with `cancel_open` over its
   * scope), or null. Asked whenever one of its events leaves it open with no cancel sent, so an
   * order that was still on its way at the halt is cancelled as soon as it shows open.
   */
  cancelOnOpen?(execution: TrackedExecution): { code: string; message: string } | null;
  /** How often executions of dead instances are looked for, ms. */
  adoptIntervalMs: number;
  /** Told every result once it is out (the console); see `ResultPublisherOptions.onPublished`. */
  onPublished?(result: PublishedResult): void;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
  /** Told every result once it is out, instead of logging it (`LOG_FORMAT=lines`). */
  onResult?: ResultSink;
}

/** A signal as intake hands it over: decoded, decided, with where it was read. */
export interface IntakeSignal {
  event: ValidatedSignalEvent;
  /** The Kafka key it came with (the contract allows `strategy_id` alone). */
  orderingKey: string;
  /** The decision made now; a signal seen before keeps the one stored. */
  record: SignalRecord;
}

/** The batch the signals came in: it is committed once `execute` resolves. */
export interface BatchControl {
  heartbeat(): Promise<void>;
  isActive(): boolean;
  /** When the batch was read (`performance.now()`), for `engine_execution_seconds`. */
  receivedAt?: number;
}

const HEARTBEAT_EVERY_MS = 2_000;
/** The abort signal of a simulator's submissions: nothing withdraws them. */
const NEVER_ABORTED = new AbortController().signal;
const ADOPT_LIMIT = 500;
/**
 * Live submissions queued in this instance's lanes past which intake waits: memory stays bounded
 * when a broker is slower than the signals. Brokers take about 10 orders a second, so this is
 * minutes of orders, most of which the stale-signal rule refuses when their turn comes.
 */
const MAX_QUEUED_SUBMISSIONS = 2_000;
/**
 * The longest an order-budget slot taken before the `submitted` journal write may wait for the
 * trader's call, ms: a write that took longer (a database outage) takes a new slot, so the slot
 * a dead process leaves counts until its request could have reached the broker.
 */
const SLOT_HELD_MAX_MS = 1_000;

/** A slot of the shared order budget for one order request: none needed, taken, or refused. */
type OrderSlot =
  | { kind: "none" }
  | { kind: "taken"; release(): Promise<void>; takenAt: number }
  | { kind: "refused"; reason: string };
/** A slot an order goes out under: taken, or none needed. */
type SlotToSend = Exclude<OrderSlot, { kind: "refused" }>;
const NO_SLOT: OrderSlot = { kind: "none" };

/**
 * The one owner of every execution (a signal on one namespace) from its claim to its final event.
 * Every event of every execution goes through `@engine/core`'s `transitionExecution` here, and the
 * effects it asks for are carried out here and nowhere else, in order: journal (fenced by the
 * claim's epoch), publish, metrics and logs, then the trader's commands.
 *
 * - A batch's simulated executions (paper, shadow) run before anything is written: their results
 *   go into the batch's one journal statement with the signals and the live claims, then out.
 * - Live executions are claimed `pending` in that statement, then submitted one after another per
 *   (namespace, Kafka key), journaled `submitted` before the trader is called. A trader that has
 *   not answered within the execution timeout leaves the execution `unknown` (its call runs on,
 *   and its answer is applied when it comes); the lane moves on. `execute` resolves once the
 *   batch's live executions are claimed, so the batch can be committed and intake goes on while
 *   the lanes work at the broker's pace: what is left survives in the journal, and is adopted by
 *   another instance if this one dies.
 * - Open orders and unknown executions are followed by one `NamespaceFollower` per namespace.
 * - Executions of dead instances are taken over (`adopt`), fenced by a new epoch.
 */
export class ExecutionService {
  readonly #o: ExecutionServiceOptions;
  readonly #tracked = new Map<string, TrackedExecution>();
  readonly #lanes = new Map<string, Promise<void>>();
  readonly #followers = new Map<string, NamespaceFollower>();
  readonly #operations = new Map<string, TraderOperations>();
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Submissions waiting in or running on a lane, and batches waiting for room. */
  #queued = 0;
  #laneWaiters: (() => void)[] = [];
  #adoptTimer: NodeJS.Timeout | undefined;
  #adopting: Promise<void> | undefined;
  #stopping = false;

  readonly #results: ResultPublisher;

  /** Submissions in a trader's hands, not answered yet: a halt of their scope withdraws them. */
  readonly #sending = new Map<TrackedExecution, AbortController>();

  constructor(options: ExecutionServiceOptions) {
    this.#o = options;
    this.#results = new ResultPublisher(options);
  }

  /** Takes over what dead instances left, then keeps looking every `adoptIntervalMs`. */
  async start(): Promise<void> {
    await this.adoptNow();
    this.#adoptTimer = setInterval(() => void this.adoptNow(), this.#o.adoptIntervalMs);
    this.#adoptTimer.unref();
  }

  /** Executions this instance follows now, by namespace. */
  openExecutions(): Record<string, number> {
    const open: Record<string, number> = {};
    for (const [namespace, follower] of this.#followers) open[namespace] = follower.size;
    return open;
  }

  /** What each namespace's follower follows now (for `engine_open_orders`). */
  followed(): FollowedOrders[] {
    return [...this.#followers.values()].map((follower) => follower.census());
  }

  /** Resolves once every live submission queued so far was answered or timed out. */
  async lanesIdle(): Promise<void> {
    while (this.#lanes.size > 0) await Promise.allSettled([...this.#lanes.values()]);
  }

  /** The namespace's follower asks for status reports at once (a postback, a simulated fill). */
  ordersChanged(namespace: string): void {
    this.#followers.get(namespace)?.wake();
  }

  /**
   * Stops: no new submission starts, submissions in flight are awaited (they are answered or
   * time out), followers stop. What is open stays in the journal for the next owner.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    // Submissions still queued in a trader (behind its rate limit) are withdrawn, not sent: they
    // come back `unknown`, and the next owner asks the broker. Requests already sent run on.
    this.#o.lease.withdraw();
    clearInterval(this.#adoptTimer);
    await this.#adopting;
    await Promise.allSettled([...this.#lanes.values()]);
    await Promise.allSettled([...this.#inFlight]);
    await Promise.all([...this.#followers.values()].map((follower) => follower.stop()));
    await this.#results.flush();
  }

  /**
   * Executes a batch's signals on their targets. Resolves when every effect that must be durable
   * before the batch is committed is: simulated results journaled and published, live executions
   * claimed in the journal and queued on their lanes (submitted in order per namespace and Kafka
   * key, after `execute` returned). Waits while the lanes hold `MAX_QUEUED_SUBMISSIONS`.
   */
  async execute(signals: readonly IntakeSignal[], batch: BatchControl): Promise<void> {
    // Fail closed: nothing is executed before every trading-state change made so far is known.
    const gate = this.#o.gate;
    if (gate) await this.#awaitWithHeartbeat(gate.ready(), batch);
    const decided = signals.map((signal) => signal.record);
    const planned = signals.flatMap((signal) => this.#plan(signal, signal.record));
    const receivedAt = batch.receivedAt ?? performance.now();
    stampReceived(planned, receivedAt);
    const stage = this.#stageTimer();
    await this.#prepare(planned, closedSignals(decided));
    stage("execute");
    const first = await this.#o.journal.recordBatch(
      decided,
      planned.map((execution) => this.#newRow(execution)),
    );
    stage("journal");
    let executions = planned;
    if (!first.allFresh) {
      executions = await this.#resume(signals);
      stampReceived(executions, receivedAt);
    } else {
      for (const signal of signals) this.#noteDisposition(signal, signal.record);
    }
    await this.#publishOutcomes(executions);
    stage("produce");
    for (const execution of executions) this.#takeOn(execution);
    // The batch is done once its live executions are claimed: they are this instance's (or, if it
    // dies, another's by adoption) whatever happens to the batch, and a slow broker's lane must
    // not hold up the partitions behind it. Only a backlog past the bound makes intake wait.
    await this.#awaitWithHeartbeat(this.#roomInLanes(), batch);
  }

  /** Keeps an execution that has not ended: queued for submission, or followed at its broker. */
  #takeOn(execution: TrackedExecution): void {
    if (isFinalStatus(execution.state.status) || execution.lost) return;
    this.#tracked.set(execution.key, execution);
    if (execution.state.status === "pending") void this.#enqueue(execution);
    else this.#followerOf(execution.namespace)?.add(execution);
  }

  /** Resolves once fewer than `MAX_QUEUED_SUBMISSIONS` submissions wait in the lanes. */
  #roomInLanes(): Promise<void> {
    if (this.#queued < MAX_QUEUED_SUBMISSIONS) return Promise.resolve();
    return new Promise((resolve) => this.#laneWaiters.push(resolve));
  }

  /** The executions a decision calls for, each in its first state. */
  #plan(signal: IntakeSignal, record: SignalRecord): TrackedExecution[] {
    if (record.disposition === "hold" || record.disposition === "no_target") return [];
    const event = signal.event;
    const target: SignalToExecute = { id: event.id, data: event.data };
    return record.targets.map(
      (namespace) =>
        new TrackedExecution({
          signal: target,
          lineage: event,
          namespace,
          orderingKey: signal.orderingKey,
          clientOrderId: clientOrderId(event.id, namespace),
          live: this.#isLive(namespace),
          state: newExecutionState(event.data.validated_quantity),
          epoch: 1,
        }),
    );
  }

  /**
   * What can be decided before the first write, in memory: refusals (market closed, stale) and
   * simulated executions (a simulator placing no real order can run again at no cost, so its
   * result is journaled with the claim instead of after it).
   */
  async #prepare(executions: TrackedExecution[], closed: Map<string, string>): Promise<void> {
    const byKey = new Map<string, TrackedExecution[]>();
    for (const execution of executions) {
      const refusal =
        this.#refusalNow(execution, closed) ??
        (execution.live ? null : await this.#gateRefusal(execution, this.#o.clock.now()));
      if (refusal) {
        this.#transitionInMemory(execution, refusal);
        continue;
      }
      if (execution.live) continue;
      const list = byKey.get(execution.orderingKey);
      if (list) list.push(execution);
      else byKey.set(execution.orderingKey, [execution]);
    }
    // In order within a key, keys at once.
    await Promise.all(
      [...byKey.values()].map(async (list) => {
        for (const execution of list) await this.#simulate(execution);
      }),
    );
  }

  /** A refusal known before the first write; a live execution's age is judged at submission. */
  #refusalNow(execution: TrackedExecution, closed: Map<string, string>): ExecutionEvent | null {
    const at = this.#o.clock.now();
    const detail = closed.get(execution.signalId);
    if (detail !== undefined) {
      return { type: "refuse", code: "MARKET_CLOSED", message: `market closed: ${detail}`, at };
    }
    return execution.live ? null : this.#staleRefusal(execution, at, { final: true });
  }

  /** The trading controls' refusal of an execution about to be sent, once they are known. */
  async #gateRefusal(execution: TrackedExecution, at: number): Promise<ExecutionEvent | null> {
    const gate = this.#o.gate;
    if (!gate) return null;
    await gate.ready();
    return gate.check(execution, at);
  }

  /**
   * STALE_SIGNAL past the maximum age; INVALID_SIGNAL when dated ahead beyond the skew. The age
   * metric takes the age at the `final` check: when the order goes out (or is simulated).
   */
  #staleRefusal(
    execution: TrackedExecution,
    at: number,
    { final }: { final: boolean },
  ): RefuseEvent | null {
    const policy = this.#o.signalAge;
    if (!execution.live && !policy.appliesToSimulated) return null;
    const age = at - Date.parse(execution.signal.data.timestamp);
    if (final) {
      this.#o.metrics.signalAgeSeconds.observe(
        { namespace: execution.namespace },
        Math.max(0, age) / 1000,
      );
    }
    if (age < -policy.clockSkewMs) {
      // A producer whose clock runs ahead would make any backlog look fresh: fail closed.
      return {
        type: "refuse",
        code: "INVALID_SIGNAL",
        message: `the signal's timestamp is ${Math.round(-age / 1000)} s ahead of this host's clock, over SIGNAL_CLOCK_SKEW_MS (${policy.clockSkewMs} ms): its age cannot be judged, not traded`,
        at,
      };
    }
    if (age <= policy.maxAgeMs + policy.clockSkewMs) return null;
    return {
      type: "refuse",
      code: "STALE_SIGNAL",
      message: `the signal is ${Math.round(age / 1000)} s old at execution, over SIGNAL_MAX_AGE_MS (${policy.maxAgeMs} ms): not traded`,
      at,
    };
  }

  async #simulate(execution: TrackedExecution): Promise<void> {
    const trader = this.#trader(execution.namespace);
    const at = this.#o.clock.now();
    if (trader.kind === "unavailable") {
      this.#transitionInMemory(execution, {
        type: "refuse",
        code: "TRADER_UNAVAILABLE",
        message: trader.reason,
        at,
      });
      return;
    }
    this.#transitionInMemory(execution, { type: "submit", at });
    // A simulator places no real order: no lease fences it, and an outage of the database must
    // not fail its signals.
    const result = await callTrader(execution, trader.trader, {
      ...this.#callOptions(false),
      abort: NEVER_ABORTED,
    });
    this.#transitionInMemory(execution, {
      type: "submit_result",
      result: result.result ?? this.#timedOutSimulation(execution),
      at: this.#o.clock.now(),
    });
  }

  /** A simulator that did not answer in time cannot be asked later: its execution failed. */
  #timedOutSimulation(execution: TrackedExecution): SubmitResult {
    return traderUnavailable(
      execution,
      `trader did not answer within ${this.#o.executionTimeoutMs} ms`,
      this.#o.clock,
    );
  }

  #callOptions(queryable: boolean): TraderCallOptions {
    return {
      queryable,
      quote: this.#o.quote,
      abort: this.#o.lease.abortSignal,
      timeoutMs: this.#o.executionTimeoutMs,
      clock: this.#o.clock,
      logger: this.#o.logger,
      metrics: this.#o.metrics,
    };
  }

  /** Applies an event before the execution is journaled: its events are journaled with it. */
  #transitionInMemory(execution: TrackedExecution, event: ExecutionEvent): void {
    const next = transitionExecution(execution.state, event, this.#policy(execution.namespace));
    execution.state = next.state;
    for (const effect of next.effects) {
      if (effect.type === "emit")
        execution.events.push(this.#results.event(execution, effect.emit));
      else if (effect.type === "alert")
        this.#results.alert(execution, effect.message, effect.anomaly);
    }
  }

  #newRow(execution: TrackedExecution): NewExecution {
    return {
      signalId: execution.signalId,
      namespace: execution.namespace,
      shadow: this.#o.shadow && this.#o.liveNamespaces.has(execution.namespace),
      state: execution.state,
      events: execution.events,
    };
  }

  /**
   * A batch with signals seen before: the stored decisions rule. Stored executions republish what
   * they stored (a final one all of it; one another live instance owns, nothing: its owner
   * publishes); missing ones are claimed and run; a dead owner's are adopted.
   */
  async #resume(signals: readonly IntakeSignal[]): Promise<TrackedExecution[]> {
    const records = await this.#o.journal.recordSignals(signals.map((s) => s.record));
    const planned: TrackedExecution[] = [];
    for (const signal of signals) {
      const record = records.get(signal.event.id);
      if (!record) continue;
      this.#noteDisposition(signal, record);
      planned.push(...this.#plan(signal, record));
    }
    const closed = closedSignals([...records.values()]);
    const stored = await this.#o.journal.read(planned);
    const republish: JournaledEvent[] = [];
    const missing: TrackedExecution[] = [];
    let orphans = false;
    for (const execution of planned) {
      const found = stored.get(execution.key);
      if (!found) {
        missing.push(execution);
        continue;
      }
      if (isFinalStatus(found.state.status)) {
        this.#o.metrics.republished.inc({ namespace: execution.namespace });
        this.#o.logger.info(
          { ...execution.context() },
          "signal already executed: republishing its stored results",
        );
        republish.push(...found.events);
      } else if (!found.ownerAlive) {
        orphans = true;
      }
    }
    // Before anything new: a redelivered batch's stored results belong to earlier signals.
    await this.#results.publish(republish);
    if (orphans) void this.adoptNow();
    await this.#prepare(missing, closed);
    const inserted = await this.#o.journal.insert(missing.map((e) => this.#newRow(e)));
    return missing.filter((execution) => inserted.has(execution.key));
  }

  /** Publishes the events reached before the first write, in the batch's order. */
  async #publishOutcomes(executions: TrackedExecution[]): Promise<void> {
    const events = executions.flatMap((execution) => execution.events);
    await this.#results.publish(events);
    for (const execution of executions) {
      execution.published = execution.events.length;
      for (const event of execution.events) this.#results.report(execution, event);
    }
  }

  /** Submits in order per (namespace, Kafka key); resolves when this one's call is answered or timed out. */
  #enqueue(execution: TrackedExecution): Promise<void> {
    const lane = `${execution.namespace}\u0000${execution.orderingKey}`;
    const previous = this.#lanes.get(lane) ?? Promise.resolve();
    const turn = previous.then(() => this.#submit(execution));
    this.#lanes.set(lane, turn);
    this.#queued += 1;
    void turn.finally(() => {
      if (this.#lanes.get(lane) === turn) this.#lanes.delete(lane);
      this.#queued -= 1;
      if (this.#queued < MAX_QUEUED_SUBMISSIONS) {
        for (const wake of this.#laneWaiters.splice(0)) wake();
      }
    });
    return turn;
  }

  #submit(execution: TrackedExecution): Promise<void> {
    return execution.serially(async () => {
      if (execution.lost || execution.state.status !== "pending" || this.#stopping) return;
      const trader = this.#trader(execution.namespace);
      const refusal = await this.#refusalBeforeSubmit(execution, trader);
      if (refusal !== null || trader.kind === "unavailable") {
        if (refusal !== null) await this.#applyNow(execution, refusal);
        return;
      }
      await this.#o.lease.whenHealthy();
      if (this.#stopping) return;
      await this.#submitFirst(execution, trader.trader);
    });
  }

  /**
   * The first submission of a `pending` execution that passed its checks: its order-budget slot,
   * then `submitted` journaled, then the call. The slot comes before the journal write: a process
   * killed while it waits leaves the execution `pending` (never sent, taken over as such), not an
   * attempt the next owner must confirm absent and count against the signal's attempts.
   */
  async #submitFirst(execution: TrackedExecution, trader: Trader): Promise<void> {
    const slot = await this.#orderSlot(execution, trader);
    if (slot.kind === "refused") {
      const at = this.#o.clock.now();
      await this.#applyNow(execution, {
        type: "refuse",
        code: "RATE_LIMITED",
        message: slot.reason,
        at,
      });
      return;
    }
    const effects = this.#stopping
      ? []
      : await this.#applyNow(execution, { type: "submit", at: this.#o.clock.now() });
    if (
      !effects.some((effect) => effect.type === "submit") ||
      !(await this.#stillOwned(execution))
    ) {
      if (slot.kind === "taken") this.#track(slot.release());
      return;
    }
    // The signal of the lease this ownership is confirmed under (by the fenced write of
    // `submitted`: an instance that took the execution over while this one waited for its slot
    // made that write fail): if the lease is at risk at any time from here on (during a wait for
    // a fresh slot, say), it stays aborted, even when a later renewal lets new submissions go.
    const abort = this.#o.lease.abortSignal;
    const fresh = await this.#freshSlot(execution, trader, slot);
    if (fresh.kind === "refused") {
      await this.#failUnsent(execution, "RATE_LIMITED", fresh.reason);
      return;
    }
    await this.#sendSubmitted(execution, trader, abort, fresh);
  }

  /** Why the order may not go out now: its trader unavailable, the signal stale, the gate. */
  async #refusalBeforeSubmit(
    execution: TrackedExecution,
    trader: TraderLookup,
  ): Promise<ExecutionEvent | null> {
    const at = this.#o.clock.now();
    if (trader.kind === "unavailable") {
      return { type: "refuse", code: "TRADER_UNAVAILABLE", message: trader.reason, at };
    }
    return (
      this.#staleRefusal(execution, at, { final: false }) ??
      (await this.#gateRefusal(execution, at))
    );
  }

  /**
   * The checks made again right before the trader is called, after the waits since the first
   * (the shared order budget's queue, a lease at risk; a re-submission after the broker confirmed
   * a first attempt absent): a halt or reduce-only set meanwhile, a signal grown stale meanwhile.
   */
  async #refusalAtSend(
    execution: TrackedExecution,
    { final }: { final: boolean },
  ): Promise<RefuseEvent | null> {
    const at = this.#o.clock.now();
    const stale = this.#staleRefusal(execution, at, { final });
    if (stale !== null) return stale;
    const gate = this.#o.gate;
    return gate ? gate.recheck(execution, at) : null;
  }

  /**
   * Whether this instance may send the order of an execution it journaled `submitted`. The
   * fencing rule: an order goes out only while the lease is healthy, so a taker-over (which waits
   * for the lease to run out, then for the broker's visibility window) sees it. A write that
   * hung through a database outage can end after the lease was at risk, and another instance may
   * have taken the execution over since: once the lease is renewed, a fenced rewrite of the same
   * state says whether it is still ours.
   */
  async #stillOwned(execution: TrackedExecution): Promise<boolean> {
    if (this.#o.lease.healthy()) return true;
    await this.#o.lease.whenHealthy();
    // Stopping: not sent; journaled `submitted`, it is resolved by the next owner's query.
    if (this.#stopping) return false;
    const write = {
      signalId: execution.signalId,
      namespace: execution.namespace,
      epoch: execution.epoch,
      state: execution.state,
      newEvents: [],
    };
    const written = await retryWhileRetryable(() => this.#o.journal.write([write]));
    if (written.has(execution.key)) return true;
    this.#lose(execution);
    return false;
  }

  /**
   * A submission the follower asked for again (the broker confirmed an earlier attempt absent),
   * journaled `submitted` already: waits for its order-budget slot, looks the order up once more,
   * then sends it. Runs inside the execution's serial section, the execution marked `submitting`
   * meanwhile.
   */
  async #resubmit(execution: TrackedExecution, trader: Trader): Promise<void> {
    const abort = this.#o.lease.abortSignal;
    execution.submitting = true;
    try {
      // One already stale or halted does not wait its turn at the budget first.
      const early =
        trader.capabilities.orderBudget && this.#o.orderBudget
          ? await this.#refusalAtSend(execution, { final: false })
          : null;
      const slot: OrderSlot = early === null ? await this.#orderSlot(execution, trader) : NO_SLOT;
      // An earlier attempt listed by now is the signal's order: neither sent again nor failed.
      if (await this.#listedMeanwhile(execution)) {
        if (slot.kind === "taken") this.#track(slot.release());
        return;
      }
      if (early !== null) {
        await this.#failUnsent(execution, early.code, early.message);
      } else if (slot.kind === "refused") {
        await this.#failUnsent(execution, "RATE_LIMITED", slot.reason);
      } else {
        await this.#sendSubmitted(execution, trader, abort, slot);
      }
    } finally {
      execution.submitting = false;
    }
  }

  /**
   * Asks the broker for the order of a re-submission once more, after its wait for an order-budget
   * slot and before it goes out or is failed unsent, and adopts one found (applies its report): the absence was concluded before
   * the wait for the order-budget slot, and a book that lags longer than the trader's visibility
   * window may list the earlier attempt by now. Sending it again would place it twice; failing it
   * would report a live order failed. Returns whether one was found; when the broker cannot be
   * asked the confirmed absence stands.
   */
  async #listedMeanwhile(execution: TrackedExecution): Promise<boolean> {
    const queryOrder = this.#operationsOf(execution.namespace)?.queryOrder;
    if (!queryOrder) return false;
    const ref = { clientOrderId: execution.clientOrderId, orderId: execution.state.orderId };
    const answer = await queryOrder(ref).catch(
      (error: unknown): OrderQuery => ({ kind: "unknown", reason: errorMessage(error) }),
    );
    if (answer.kind === "unknown") {
      this.#o.logger.warn(
        { ...execution.context(), reason: answer.reason },
        "the broker could not be asked again before a re-submission: its confirmed absence stands",
      );
    }
    if (answer.kind !== "found") return false;
    this.#o.logger.warn(
      { ...execution.context(), order_id: answer.report.orderId },
      "an attempt concluded absent is listed by now: adopted, not placed again (the trader's visibility window is shorter than its broker's listing lag)",
    );
    await this.#applyNow(execution, {
      type: "report",
      report: answer.report,
      at: this.#o.clock.now(),
    });
    return true;
  }

  /**
   * A slot of the order budget every instance shares, where the trader declares one (`none`
   * otherwise), waiting for room; `refused` when none came in the longest wait. While the
   * database cannot be reached the order is held (nothing is sent uncounted), and asked again.
   */
  async #orderSlot(execution: TrackedExecution, trader: Trader): Promise<OrderSlot> {
    const budget = trader.capabilities.orderBudget;
    const shared = this.#o.orderBudget;
    if (!budget || !shared) return { kind: "none" };
    const answer = await retryWhileRetryable(
      () => shared.take(execution.namespace, budget, "order", this.#longestCallMs(trader)),
      {
        onRetry: (error, attempt) =>
          this.#o.logger.error(
            { ...execution.context(), err: errorMessage(error), attempt },
            "order budget unavailable: holding the order",
          ),
      },
    );
    if (!answer.taken) return { kind: "refused", reason: answer.reason };
    return { kind: "taken", release: answer.release, takenAt: performance.now() };
  }

  /**
   * The slot to send under: the one taken before the journal write, unless that write (or the
   * lease) held it so long that the broker could see the request after the slot stopped counting
   * for a process that dies (its longest call); then it is given back and a new one taken.
   */
  async #freshSlot(
    execution: TrackedExecution,
    trader: Trader,
    slot: SlotToSend,
  ): Promise<OrderSlot> {
    if (slot.kind === "none" || performance.now() - slot.takenAt < SLOT_HELD_MAX_MS) return slot;
    this.#track(slot.release());
    return this.#orderSlot(execution, trader);
  }

  /**
   * Calls the trader for a submission already journaled `submitted`, under its order-budget slot,
   * and applies its answer; when the answer does not come within the timeout the execution
   * becomes `unknown` and the answer is applied whenever it comes. Runs inside the execution's
   * serial section.
   */
  async #sendSubmitted(
    execution: TrackedExecution,
    trader: Trader,
    abort: AbortSignal,
    taken: SlotToSend,
  ): Promise<void> {
    const slot = taken.kind === "taken" ? taken : undefined;
    const refusal = await this.#refusalAtSend(execution, { final: true });
    if (refusal !== null) {
      if (slot) this.#track(slot.release());
      await this.#failUnsent(execution, refusal.code, refusal.message);
      return;
    }
    const queryable = trader.capabilities.queryByClientOrderId;
    const withdrawal = new AbortController();
    this.#sending.set(execution, withdrawal);
    const answered = await callTrader(execution, trader, {
      ...this.#callOptions(queryable),
      abort: AbortSignal.any([abort, withdrawal.signal]),
    });
    this.#track(answered.late.finally(() => this.#sending.delete(execution)));
    // The slot is over when the trader's call is, answered in time or not (`late` always resolves).
    if (slot) this.#track(answered.late.then(() => slot.release()));
    if (answered.result !== null) {
      await this.#applyNow(execution, {
        type: "submit_result",
        result: answered.result,
        at: this.#o.clock.now(),
      });
      return;
    }
    this.#o.logger.warn(
      { ...execution.context(), timeout_ms: this.#o.executionTimeoutMs },
      "the trader has not answered the submission in time: the order's state is unknown until the broker says",
    );
    await this.#applyNow(execution, { type: "submit_timeout", at: this.#o.clock.now() });
    const late = answered.late.then((result) =>
      execution.serially(() =>
        this.#applyNow(execution, { type: "submit_result", result, at: this.#o.clock.now() }),
      ),
    );
    this.#track(late);
  }

  /**
   * Withdraws the submissions of executions that `matches` still in a trader's hands (queued
   * behind its own rate limit, say): a trader checks its abort signal right before sending, so
   * those not sent yet never go out. Each comes back `unknown`; once the broker confirms it absent
   * it is submitted again, and the checks at sending refuse it (a halt: `TRADING_HALTED`).
   * Requests already sent run on. Returns how many were withdrawn.
   */
  withdrawSubmissions(matches: (execution: TrackedExecution) => boolean): number {
    let withdrawn = 0;
    for (const [execution, withdrawal] of this.#sending) {
      if (withdrawal.signal.aborted || !matches(execution)) continue;
      withdrawal.abort();
      withdrawn += 1;
    }
    return withdrawn;
  }

  /** Ends a submission journaled `submitted` whose order was not sent, with `code`. */
  #failUnsent(
    execution: TrackedExecution,
    code: KnownErrorCode,
    message: string,
  ): Promise<unknown> {
    const at = this.#o.clock.now();
    return this.#applyNow(execution, {
      type: "submit_result",
      result: failedResult(execution.signal, {
        namespace: execution.namespace,
        code,
        message,
        timestamp: new Date(at).toISOString(),
      }),
      at,
    });
  }

  /**
   * Cancels every open order (accepted, partly filled) of this instance's executions that
   * `matches`, through its namespace's follower (a trader that cannot cancel is skipped, and
   * logged). Each order ends in its usual terminal event when the broker reports it; `code` is the
   * one its `order_failed` carries when nothing was filled.
   * @returns how many cancels the broker accepted or answered, and how many could not be sent
   */
  async cancelOpen(
    matches: (execution: TrackedExecution) => boolean,
    reason: { code: string; message: string },
  ): Promise<{ sent: number; unsupported: number }> {
    const open = [...this.#tracked.values()].filter(
      (execution) =>
        (execution.state.status === "accepted" || execution.state.status === "partially_filled") &&
        matches(execution),
    );
    let sent = 0;
    let unsupported = 0;
    await Promise.all(
      open.map(async (execution) => {
        const outcome = await this.#cancelOpenOne(execution, reason);
        if (outcome === "sent") sent += 1;
        else if (outcome === "unsupported") unsupported += 1;
      }),
    );
    return { sent, unsupported };
  }

  /** Cancels one open order for the trading controls, counting it; says what became of it. */
  async #cancelOpenOne(
    execution: TrackedExecution,
    reason: { code: string; message: string },
  ): Promise<"sent" | "unsupported" | "not_sent"> {
    const follower = this.#followerOf(execution.namespace);
    const outcome = follower ? await follower.cancel(execution, reason) : null;
    if (outcome === null) {
      if (this.#operationsOf(execution.namespace)?.cancelOrder) return "not_sent";
      this.#o.logger.warn(
        { ...execution.context() },
        "the trader cannot cancel: the open order is left to the broker",
      );
      return "unsupported";
    }
    this.#o.metrics.controlCancels.inc({ namespace: execution.namespace, outcome: outcome.kind });
    follower?.wake();
    return "sent";
  }

  /** Applies an event to an owned execution, in its serial section. */
  apply(execution: TrackedExecution, event: ExecutionEvent): Promise<ExecutionEffect[]> {
    return execution.serially(() => this.#applyNow(execution, event));
  }

  /**
   * Applies an event through the state machine and carries out what it asks, in order: the
   * fenced journal write (retried while the database is away; a refusal means another instance
   * took the execution over, and nothing more is done for it here), then its events out, then
   * alerts and following. Submits and cancels are left to the caller. Call inside the
   * execution's serial section.
   */
  async #applyNow(execution: TrackedExecution, event: ExecutionEvent): Promise<ExecutionEffect[]> {
    if (execution.lost) return [];
    const next = transitionExecution(execution.state, event, this.#policy(execution.namespace));
    const newEvents: JournaledEvent[] = [];
    for (const effect of next.effects) {
      if (effect.type === "emit") newEvents.push(this.#results.event(execution, effect.emit));
    }
    const journaled =
      !next.effects.some((effect) => effect.type === "journal") ||
      (await this.#journalTransition(execution, next.state, newEvents));
    if (!journaled) {
      this.#lose(execution);
      return [];
    }
    execution.state = next.state;
    if (newEvents.length > 0) {
      execution.events.push(...newEvents);
      await this.#results.publish(newEvents);
      this.#results.markPublished(execution);
      for (const event of newEvents) this.#results.report(execution, event);
    }
    for (const effect of next.effects) this.#afterTransition(execution, effect);
    if (isFinalStatus(execution.state.status)) this.#forget(execution);
    else this.#cancelIfHalted(execution);
    return next.effects;
  }

  /**
   * The fenced journal write of a transition, retried while the database is away; false when
   * another instance took the execution over.
   */
  async #journalTransition(
    execution: TrackedExecution,
    state: TrackedExecution["state"],
    newEvents: JournaledEvent[],
  ): Promise<boolean> {
    const write = {
      signalId: execution.signalId,
      namespace: execution.namespace,
      epoch: execution.epoch,
      state,
      newEvents,
    };
    const written = await retryWhileRetryable(() => this.#o.journal.write([write]), {
      onRetry: (error, attempt) =>
        this.#o.logger.error(
          { ...execution.context(), err: errorMessage(error), attempt },
          "journal unavailable: holding the execution's transition",
        ),
    });
    return written.has(execution.key);
  }

  /** Alerts and following, once the transition is journaled and its events are out. */
  #afterTransition(execution: TrackedExecution, effect: ExecutionEffect): void {
    if (effect.type === "alert") this.#results.alert(execution, effect.message, effect.anomaly);
    else if (effect.type === "follow" || effect.type === "query") {
      this.#followerOf(execution.namespace)?.add(execution);
    }
  }

  /**
   * Cancels an open order a halt with `cancel_open` covers and no cancel was sent for yet: one
   * whose submission was still on its way (or its answer lost) when the halt came, or one taken
   * over since. Runs after the current event, outside its serial section.
   */
  #cancelIfHalted(execution: TrackedExecution): void {
    const { status, cancel } = execution.state;
    if (status !== "accepted" && status !== "partially_filled") return;
    if (cancel !== null || execution.haltCancelQueued || !this.#o.cancelOnOpen) return;
    const reason = this.#o.cancelOnOpen(execution);
    if (reason === null) return;
    execution.haltCancelQueued = true;
    this.#o.logger.warn(
      { ...execution.context(), order_id: execution.state.orderId },
      "an order in a halted scope with cancel_open is open: cancelling it",
    );
    this.#track(this.#cancelOpenOne(execution, reason).then(() => undefined));
  }

  /** Another instance took it over: drop it here without a word on the wire. */
  #lose(execution: TrackedExecution): void {
    execution.lost = true;
    this.#forget(execution);
    this.#o.metrics.fencedWrites.inc({ namespace: execution.namespace });
    this.#o.logger.warn(
      { ...execution.context(), epoch: execution.epoch },
      "another instance took the execution over: leaving it to that instance",
    );
  }

  #forget(execution: TrackedExecution): void {
    if (this.#tracked.get(execution.key) === execution) this.#tracked.delete(execution.key);
    this.#followers.get(execution.namespace)?.remove(execution);
  }

  /**
   * Takes over the unfinished executions of instances whose lease ran out: pending ones are
   * submitted (in signal order), the others resolved and followed. Concurrent calls share one run.
   */
  adoptNow(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    this.#adopting ??= this.#adoptOnce()
      .catch((error: unknown) => {
        this.#o.logger.warn({ err: errorMessage(error) }, "looking for orphaned executions failed");
      })
      .finally(() => {
        this.#adopting = undefined;
      });
    return this.#adopting;
  }

  async #adoptOnce(): Promise<void> {
    const adopted = await this.#o.journal.adopt(this.#o.registry.namespaces(), ADOPT_LIMIT);
    adopted.sort((a, b) =>
      a.source.partition !== b.source.partition
        ? a.source.partition - b.source.partition
        : Number(a.source.offset - b.source.offset),
    );
    for (const row of adopted) {
      const execution = this.#fromAdopted(row);
      if (!execution) continue;
      this.#o.metrics.adopted.inc({ namespace: execution.namespace });
      this.#o.logger.info(
        { ...execution.context(), status: execution.state.status, epoch: execution.epoch },
        "took over an execution its owner left",
      );
      await execution.serially(async () => {
        const unpublished = execution.events.slice(execution.published);
        if (unpublished.length === 0) return;
        await this.#results.publish(unpublished);
        this.#results.markPublished(execution);
      });
      if (isFinalStatus(execution.state.status)) continue;
      this.#tracked.set(execution.key, execution);
      if (execution.state.status === "pending") {
        void this.#enqueue(execution);
      } else {
        this.#track(this.apply(execution, { type: "recover", at: this.#o.clock.now() }));
      }
    }
  }

  #fromAdopted(row: AdoptedExecution): TrackedExecution | null {
    const data = ValidatedSignalSchema.safeParse(row.envelope.data);
    if (!data.success) {
      this.#o.logger.error(
        { signal_id: row.signalId, namespace: row.namespace },
        "an adopted execution's signal does not parse: it cannot be carried on, check it by hand",
      );
      return null;
    }
    const original = data.data.original_signal;
    return new TrackedExecution({
      signal: { id: row.envelope.id, data: data.data },
      lineage: row.envelope,
      namespace: row.namespace,
      orderingKey: `${original.strategy_id}:${original.instrument_token}`,
      clientOrderId: clientOrderId(row.envelope.id, row.namespace),
      live: this.#isLive(row.namespace),
      state: row.state,
      epoch: row.epoch,
      events: row.events,
      published: row.published,
    });
  }

  /** The follower of a namespace whose trader follows orders (built on first use). */
  #followerOf(namespace: string): NamespaceFollower | undefined {
    const existing = this.#followers.get(namespace);
    if (existing) return existing;
    const trader = this.#o.registry.lookup(namespace);
    const operations = this.#operationsOf(namespace);
    if (!trader || !operations || (!operations.queryOrder && !operations.orderStatusReports)) {
      return undefined;
    }
    const follower = new NamespaceFollower({
      namespace,
      capabilities: trader.capabilities,
      operations,
      apply: (execution, event) => this.apply(execution, event),
      resubmit: (execution) =>
        this.#track(execution.serially(() => this.#resubmit(execution, trader))),
      alert: (execution, anomaly, message) => this.#results.alert(execution, message, anomaly),
      orderTtlMs: this.#o.orderTtlMs(namespace),
      takeCancelSlot: this.#cancelSlots(namespace, trader),
      clock: this.#o.clock,
      logger: this.#o.logger.child({ namespace }),
      metrics: this.#o.metrics,
    });
    this.#followers.set(namespace, follower);
    if (!this.#stopping) follower.start();
    return follower;
  }

  /**
   * Where a trader declares an order budget, a cancel takes a slot of it like a placement: brokers
   * count cancels against the same order limits (Kite: 10/s per account, place, modify and cancel
   * alike).
   */
  #cancelSlots(
    namespace: string,
    trader: Trader,
  ): NamespaceFollowerOptions["takeCancelSlot"] | undefined {
    const budget = trader.capabilities.orderBudget;
    const shared = this.#o.orderBudget;
    if (!budget || !shared) return undefined;
    return () => shared.take(namespace, budget, "cancel", this.#longestCallMs(trader));
  }

  /** The longest a trader's call may run: the engine's timeout, or the trader's own if longer. */
  #longestCallMs(trader: Trader): number {
    return Math.max(this.#o.executionTimeoutMs, trader.capabilities.maxSubmitMs ?? 0);
  }

  #operationsOf(namespace: string): TraderOperations | undefined {
    const known = this.#operations.get(namespace);
    if (known) return known;
    const trader = this.#o.registry.lookup(namespace);
    if (!trader) return undefined;
    const operations = traderOperations(trader);
    this.#operations.set(namespace, operations);
    return operations;
  }

  #trader(namespace: string): TraderLookup {
    try {
      return { kind: "ready", trader: this.#o.registry.get(namespace) };
    } catch (error) {
      return { kind: "unavailable", reason: errorMessage(error) };
    }
  }

  #policy(namespace: string): ExecutionPolicy {
    const trader = this.#o.registry.lookup(namespace);
    return {
      maxSubmitAttempts: this.#o.maxSubmitAttempts,
      orderVisibilityMs: trader?.capabilities.orderVisibilityMs ?? 0,
      announcesPlacement: trader?.capabilities.followsOrders ?? false,
    };
  }

  #isLive(namespace: string): boolean {
    return this.#o.liveNamespaces.has(namespace) && !this.#o.shadow;
  }

  #noteDisposition(signal: IntakeSignal, record: SignalRecord): void {
    this.#o.metrics.signalsReceived.inc({ disposition: record.disposition });
    if (record.disposition === "hold" || record.disposition === "no_target") {
      this.#o.logger.info(
        {
          signal_id: signal.event.id,
          strategy_id: record.strategyId,
          disposition: record.disposition,
          detail: record.detail,
        },
        "signal recorded, nothing to execute",
      );
    }
  }

  /** Observes, per call, the time since the previous call (or since it was made) as a stage. */
  #stageTimer(): (stage: string) => void {
    let last = performance.now();
    return (stage) => {
      const now = performance.now();
      this.#o.metrics.stageSeconds.observe({ stage }, (now - last) / 1000);
      last = now;
    };
  }

  /** Keeps a background promise for `stop()` to await. */
  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => {
      this.#o.logger.error({ err: errorMessage(error) }, "execution step failed");
    });
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }

  /** Waits, heartbeating the batch so a long wait does not cost the group membership. */
  async #awaitWithHeartbeat(work: Promise<unknown>, batch: BatchControl): Promise<void> {
    const timer = setInterval(
      () => void batch.heartbeat().catch(() => undefined),
      HEARTBEAT_EVERY_MS,
    );
    try {
      await work;
    } finally {
      clearInterval(timer);
    }
  }
}

/** The signals a decision found the market closed for, with why. */
function closedSignals(records: readonly SignalRecord[]): Map<string, string> {
  const closed = new Map<string, string>();
  for (const record of records) {
    if (record.disposition === "market_closed") closed.set(record.signalId, record.detail ?? "");
  }
  return closed;
}

/** A namespace's trader, or why there is none to use now. */
type TraderLookup = { kind: "ready"; trader: Trader } | { kind: "unavailable"; reason: string };

/** When the batch was read, for the latency of each execution's results. */
function stampReceived(executions: readonly TrackedExecution[], receivedAt: number): void {
  for (const execution of executions) {
    execution.readAt = receivedAt;
  }
}
