import type { EnvelopeLineage, ExecutionState, SignalToExecute } from "@engine/core";
import {
  type ExecutionKey,
  executionKey,
  type JournaledEvent,
} from "../journal/execution-journal.js";

/**
 * One execution this instance owns, in memory: the signal, where it stands (`state`), the fencing
 * `epoch` of its claim and its events. Everything that happens to it runs through `serially`, one
 * thing at a time, so its transitions are applied, journaled and published in order.
 */
export class TrackedExecution implements ExecutionKey {
  readonly key: string;
  readonly signalId: string;
  readonly namespace: string;
  readonly signal: SignalToExecute;
  readonly lineage: EnvelopeLineage;
  /** The Kafka key the signal came with: executions of one key are submitted in order. */
  readonly orderingKey: string;
  readonly clientOrderId: string;
  /** Whether the namespace places real orders here (not simulated, not shadow). */
  readonly live: boolean;
  /**
   * Since when (`performance.now()`, ms) its state has been `unknown` in this process; null
   * while it is not. Taken over `unknown`, it counts from the takeover.
   */
  unknownSince: number | null = null;
  #state!: ExecutionState;
  epoch: number;
  /** Every event of the execution so far, journaled; the first `published` of them are out. */
  events: JournaledEvent[];
  published: number;
  /** Another instance took it over: nothing more is stored or published for it here. */
  lost = false;
  /** When the follower last asked the broker about it on its own (epoch ms), for backoff. */
  lastQueriedAt = 0;
  /** When the engine last sent a cancel for it (epoch ms). */
  lastCancelAt = 0;
  /** A cancel request for it is waiting for its slot or on its way. */
  cancelSending = false;
  /**
   * A submission of it is under way here (waiting for its order-budget slot, or for the trader's
   * answer within the execution timeout): that submission settles its state, so the follower
   * leaves it out of its rounds meanwhile.
   */
  submitting = false;
  /** How many broker orders for its client order id were last reported as a duplicate (0: none). */
  duplicateOrdersReported = 0;
  /** An order its broker lists after it ended reported failed was raised. */
  orderAfterFailureReported = false;
  /** A halt with `cancel_open` asked for its cancel here (it is asked once). */
  haltCancelQueued = false;
  /**
   * When its signal's batch was read (`performance.now()`): the latency of each of its results
   * counts from here. Null for an execution taken over from another instance.
   */
  readAt: number | null = null;
  /** Whether its first result is out (`engine_execution_seconds` counts that one only). */
  firstResultOut = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(fields: {
    signal: SignalToExecute;
    lineage: EnvelopeLineage;
    namespace: string;
    orderingKey: string;
    clientOrderId: string;
    live: boolean;
    state: ExecutionState;
    epoch: number;
    events?: JournaledEvent[];
    published?: number;
  }) {
    this.signal = fields.signal;
    this.signalId = fields.signal.id;
    this.lineage = fields.lineage;
    this.namespace = fields.namespace;
    this.key = executionKey({ signalId: this.signalId, namespace: fields.namespace });
    this.orderingKey = fields.orderingKey;
    this.clientOrderId = fields.clientOrderId;
    this.live = fields.live;
    this.state = fields.state;
    this.epoch = fields.epoch;
    this.events = fields.events ?? [];
    this.published = fields.published ?? 0;
  }

  get state(): ExecutionState {
    return this.#state;
  }

  set state(next: ExecutionState) {
    if (next.status !== "unknown") this.unknownSince = null;
    else this.unknownSince ??= performance.now();
    this.#state = next;
  }

  /** What a log line about it carries. */
  context() {
    const original = this.signal.data.original_signal;
    const symbol = original.metadata?.symbol;
    return {
      signal_id: this.signalId,
      namespace: this.namespace,
      strategy_id: original.strategy_id,
      instrument_token: original.instrument_token,
      // The signal's own name for the instrument, when it gives one (the embedded demo's do).
      ...(typeof symbol === "string" && symbol !== "" ? { symbol } : {}),
      correlation_id: this.lineage.correlation_id,
    };
  }

  /** Runs `work` after everything queued before it on this execution; failures do not block the queue. */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
