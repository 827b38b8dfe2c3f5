import {
  type Clock,
  type ExecutionEmit,
  type ExecutionStatus,
  emittedResult,
  errorMessage,
  type Logger,
  type TopicMap,
} from "@engine/core";
import { retryWhileRetryable } from "../errors/retry.js";
import type { ExecutionJournal, JournaledEvent } from "../journal/execution-journal.js";
import type { EngineMetrics } from "../observability/metrics.js";
import type { ResultLine, ResultSink } from "../observability/result-lines.js";
import type { OutboundMessage } from "../transport/transport.js";
import { resultEvent } from "./result-events.js";
import type { TrackedExecution } from "./tracked-execution.js";

export interface ResultPublisherOptions {
  journal: ExecutionJournal;
  outputTopics(namespace: string): TopicMap;
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
  /** Told every result once it is out, instead of logging it (`LOG_FORMAT=lines`). */
  onResult?: ResultSink;
  /** Told every result once it is out, however results are logged (the console's recent activity). */
  onPublished?(result: PublishedResult): void;
}

/**
 * A result as it left the engine, with where its execution stands after it: what the console
 * shows. `quantity` is the order's (the signal's `validated_quantity`), units; prices in rupees.
 */
export interface PublishedResult {
  signalId: string;
  namespace: string;
  strategyId: string;
  instrumentToken: number;
  signalType: string;
  status: ExecutionStatus;
  quantity: number;
  filledQuantity: number;
  averagePrice: number | null;
  limitPrice: number | null;
  orderId: string | null;
  /** The contract event's type (`order_placed`, `order_filled`, `order_failed`), time and payload. */
  type: string;
  ts: string;
  data: Record<string, unknown>;
  /** From the signal's batch being read to this result being out, ms; null for an adopted execution. */
  latencyMs: number | null;
}

const OUTCOME_OF: Record<string, string> = {
  order_placed: "placed",
  order_filled: "filled",
  order_failed: "failed",
};

type PublishMark = { signalId: string; namespace: string; epoch: number; published: number };

/**
 * What leaves the engine for an execution: the contract event of what it emits, published (and
 * retried while the bus is away: the events are journaled first), counted and logged; an
 * anomaly's alert; and the record that its events are out.
 */
export class ResultPublisher {
  readonly #o: ResultPublisherOptions;
  readonly #marks = new Map<string, PublishMark>();
  #flushing: Promise<void> | undefined;

  constructor(options: ResultPublisherOptions) {
    this.#o = options;
  }

  /** The contract event of an emit, with a new event id, ready to journal and publish. */
  event(execution: TrackedExecution, emit: ExecutionEmit): JournaledEvent {
    return resultEvent(
      execution.lineage,
      execution.namespace,
      emittedResult(execution.signal, execution.namespace, emit),
      this.#o.outputTopics(execution.namespace),
      this.#o.clock,
    );
  }

  /** Publishes journaled events in order, retrying while the bus is unavailable. */
  async publish(events: readonly JournaledEvent[]): Promise<void> {
    if (events.length === 0) return;
    const messages = events.map((e) => ({
      topic: e.topic,
      key: e.key,
      value: JSON.stringify(e.event),
    }));
    await retryWhileRetryable(() => this.#o.publish(messages), {
      onRetry: (error, attempt) =>
        this.#o.logger.error(
          { err: errorMessage(error), attempt, events: events.length },
          "publishing results failed: trying again (they are journaled)",
        ),
    });
  }

  /** Counts and logs a result once it is out (and the time to its execution's first result). */
  report(execution: TrackedExecution, journaled: JournaledEvent): void {
    const latencyMs = execution.readAt === null ? null : performance.now() - execution.readAt;
    const first = this.#countFirst(execution, latencyMs);
    const data = journaled.event.data as Record<string, unknown>;
    const outcome = OUTCOME_OF[journaled.event.type] ?? journaled.event.type;
    const errorCode = outcome === "failed" ? String(data.error_code ?? "") : "";
    this.#o.metrics.results.inc({ namespace: execution.namespace, outcome, error_code: errorCode });
    try {
      this.#o.onPublished?.(published(execution, journaled, latencyMs));
    } catch (error) {
      // What watches results must never stop an execution.
      this.#o.logger.error({ err: errorMessage(error) }, "a result observer failed");
    }
    if (
      this.#o.onResult &&
      (outcome === "placed" || outcome === "filled" || outcome === "failed")
    ) {
      this.#o.onResult(resultLine(execution, journaled, outcome, first ? latencyMs : null));
      return;
    }
    const fields = {
      ...execution.context(),
      outcome,
      order_id: data.order_id,
      ...(outcome === "failed" ? { error_code: errorCode, error: data.error_message } : {}),
      ...(outcome === "filled"
        ? { quantity: data.quantity, fill_price: data.fill_price, fees: data.fees }
        : {}),
    };
    if (outcome === "failed") this.#o.logger.warn(fields, `order ${outcome}`);
    else this.#o.logger.info(fields, `order ${outcome}`);
  }

  /**
   * Whether this is the execution's first result out; the first's latency is what
   * `engine_execution_seconds` counts.
   */
  #countFirst(execution: TrackedExecution, latencyMs: number | null): boolean {
    if (execution.firstResultOut) return false;
    execution.firstResultOut = true;
    if (latencyMs !== null) {
      this.#o.metrics.executionSeconds.observe(
        { namespace: execution.namespace },
        latencyMs / 1000,
      );
    }
    return true;
  }

  /** Something a broker should never do: logged at error level and counted. */
  alert(execution: TrackedExecution, message: string, anomaly: string): void {
    this.#o.metrics.anomalies.inc({ namespace: execution.namespace, anomaly });
    this.#o.logger.error(
      { ...execution.context(), anomaly, order_id: execution.state.orderId },
      message,
    );
  }

  /**
   * Records that the execution's events are out, so a takeover republishes none of them. Marks
   * are gathered and written together, after the current work (one statement for a round's
   * fills), and not awaited: a mark that fails or comes late costs at most a duplicate of events
   * with the same ids after a takeover.
   */
  markPublished(execution: TrackedExecution): void {
    execution.published = execution.events.length;
    this.#marks.set(execution.key, {
      signalId: execution.signalId,
      namespace: execution.namespace,
      epoch: execution.epoch,
      published: execution.published,
    });
    this.#flushMarks();
  }

  /** Resolves once the marks gathered so far are written (or failed). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  #flushMarks(): void {
    if (this.#flushing || this.#marks.size === 0) return;
    this.#flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        const marks = [...this.#marks.values()];
        this.#marks.clear();
        await this.#o.journal.markPublished(marks);
      })
      .catch((error: unknown) => {
        this.#o.logger.warn(
          { err: errorMessage(error) },
          "could not record that events are published (a takeover may republish them)",
        );
      })
      .finally(() => {
        this.#flushing = undefined;
        this.#flushMarks();
      });
  }
}

function published(
  execution: TrackedExecution,
  journaled: JournaledEvent,
  latencyMs: number | null,
): PublishedResult {
  const original = execution.signal.data.original_signal;
  const state = execution.state;
  return {
    signalId: execution.signalId,
    namespace: execution.namespace,
    strategyId: original.strategy_id,
    instrumentToken: original.instrument_token,
    signalType: original.signal_type,
    status: state.status,
    quantity: state.quantity,
    filledQuantity: state.filledQuantity,
    averagePrice: state.averagePrice,
    limitPrice: state.limitPrice,
    orderId: state.orderId,
    type: journaled.event.type,
    ts: String(journaled.event.ts),
    data: journaled.event.data as Record<string, unknown>,
    latencyMs,
  };
}

/** The terminal's view of a result event (`data` as `emittedResult` builds it). */
function resultLine(
  execution: TrackedExecution,
  journaled: JournaledEvent,
  outcome: ResultLine["outcome"],
  latencyMs: number | null,
): ResultLine {
  const data = journaled.event.data as Record<string, unknown>;
  const original = execution.signal.data.original_signal;
  const number = (value: unknown) => (typeof value === "number" ? value : null);
  const { symbol } = execution.context();
  return {
    ts: String(journaled.event.ts),
    namespace: execution.namespace,
    side: original.signal_type,
    quantity: number(data.quantity) ?? execution.signal.data.validated_quantity,
    instrumentToken: original.instrument_token,
    symbol: symbol ?? null,
    price: number(outcome === "filled" ? data.fill_price : data.price),
    fees: outcome === "filled" ? number(data.fees) : null,
    strategyId: original.strategy_id,
    outcome,
    errorCode: outcome === "failed" ? String(data.error_code ?? "") : null,
    errorMessage: outcome === "failed" ? String(data.error_message ?? "") : null,
    latencyMs,
  };
}
