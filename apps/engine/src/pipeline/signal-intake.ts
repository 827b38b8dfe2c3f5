import {
  type Clock,
  decodeEvent,
  EngineError,
  type ExecutionRouter,
  errorMessage,
  type Logger,
  type MarketHoursChecker,
  type ValidatedSignalEvent,
  ValidatedSignalEventSchema,
} from "@engine/core";
import type { SignalDisposition } from "../db/schema.js";
import { retryWhileRetryable } from "../errors/retry.js";
import type { ExecutionService, IntakeSignal } from "../execution/execution-service.js";
import type { SignalRecord } from "../journal/execution-journal.js";
import type { EngineMetrics } from "../observability/metrics.js";
import {
  BatchAbandonedError,
  type InboundBatch,
  type InboundMessage,
  type OutboundMessage,
  type Subscription,
} from "../transport/transport.js";
import { deadLetter } from "./dead-letter.js";

export interface SignalIntakeOptions {
  router: ExecutionRouter;
  marketHours: MarketHoursChecker;
  executions: ExecutionService;
  /** The validated-signals topic consumed, and its dead-letter topic. */
  signalTopic: string;
  dlqTopic: string;
  /** The largest record the bus takes, bytes: a dead letter is cut to fit. */
  maxMessageBytes?: number | undefined;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  /** Told when the database stops or starts answering (for readiness). */
  onDatabaseHealth?(healthy: boolean, reason?: string): void;
}

/** The strategy configuration could not be read (its database is away): retrying can help. */
export class StrategyConfigUnavailableError extends EngineError {
  constructor(reason: string) {
    super(
      "STRATEGY_CONFIG_UNAVAILABLE",
      `strategy configuration unavailable: ${reason}`,
      {},
      {
        retryable: true,
      },
    );
  }
}

/**
 * Intake of validated signals: decode, dead-letter what cannot be used, de-duplicate within the
 * batch, decide each signal's targets (route, market hours, HOLD), and hand the executions to the
 * `ExecutionService`, which owns them from there. A batch resolves only when what it handed over
 * is durable, so committing it afterwards never loses a signal; while the database is away the
 * batch is held (retried), which holds its partition: nothing is executed, nothing is lost.
 */
export class SignalIntake {
  readonly #o: SignalIntakeOptions;
  #databaseDown = false;

  constructor(options: SignalIntakeOptions) {
    this.#o = options;
  }

  subscription(): Subscription {
    return { topic: this.#o.signalTopic, handle: (batch) => this.handle(batch) };
  }

  async handle(batch: InboundBatch): Promise<void> {
    const decodeStarted = performance.now();
    const accepted: { message: InboundMessage; event: ValidatedSignalEvent }[] = [];
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
        dead.push(
          deadLetter(message, reason, this.#o.dlqTopic, this.#o.clock, this.#o.maxMessageBytes),
        );
        continue;
      }
      const event = decoded.value;
      // A copy delivered twice in one batch is one signal.
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      accepted.push({ message, event });
    }
    this.#o.metrics.stageSeconds.observe(
      { stage: "decode" },
      (performance.now() - decodeStarted) / 1000,
    );

    if (accepted.length > 0) {
      await this.#withDatabaseRetry(batch, async () => {
        const decideStarted = performance.now();
        const signals = await Promise.all(accepted.map((item) => this.#decide(item)));
        this.#o.metrics.stageSeconds.observe(
          { stage: "decide" },
          (performance.now() - decideStarted) / 1000,
        );
        await this.#o.executions.execute(signals, {
          heartbeat: () => batch.heartbeat(),
          isActive: () => batch.isActive(),
          receivedAt: decodeStarted,
        });
      });
    }
    await this.#o.publish(dead);
    if (dead.length > 0) this.#o.metrics.deadLetters.inc({ topic: batch.topic }, dead.length);
  }

  /** The decision for a signal: its targets, or why it has none. */
  async #decide(item: {
    message: InboundMessage;
    event: ValidatedSignalEvent;
  }): Promise<IntakeSignal> {
    const { message, event } = item;
    const original = event.data.original_signal;
    const signal = (disposition: SignalDisposition, targets: string[], detail: string | null) => {
      const record: SignalRecord = {
        signalId: event.id,
        strategyId: original.strategy_id,
        instrumentToken: original.instrument_token,
        signalType: original.signal_type,
        disposition,
        targets,
        detail,
        envelope: {
          id: event.id,
          correlation_id: event.correlation_id,
          trace_id: event.trace_id,
          data: event.data,
        },
        sourceTopic: message.topic,
        sourcePartition: message.partition,
        sourceOffset: message.offset,
      };
      return { event, orderingKey: message.key?.toString("utf8") ?? event.key, record };
    };
    if (original.signal_type === "HOLD") return signal("hold", [], "HOLD places no order");
    const decision = await this.#o.router.route(original.strategy_id);
    // The configuration lives in the journal's database: unreadable, it is an outage like any
    // other. Journaling the router's fail-closed decision would drop the live namespaces of a
    // strategy that enables them for good, without a result; retrying holds the batch instead.
    if (decision.strategy === "unavailable") {
      throw new StrategyConfigUnavailableError(decision.error ?? "unreadable");
    }
    const detail = decision.error ? `strategy configuration unavailable: ${decision.error}` : null;
    if (decision.namespaces.length === 0) {
      return signal(
        "no_target",
        [],
        detail ?? `no namespace enabled (strategy ${decision.strategy})`,
      );
    }
    const market = this.#o.marketHours.status();
    if (!market.open) return signal("market_closed", decision.namespaces, market.detail);
    return signal("routed", decision.namespaces, detail);
  }

  /**
   * Retries a batch while what it needs is unreachable (retryable errors only). Holding the batch
   * holds its partition: nothing further is fetched, nothing is committed, nothing is lost. Any
   * other error is a bug: it is thrown, the consumer stops, and the process exits to be restarted.
   */
  async #withDatabaseRetry(batch: InboundBatch, work: () => Promise<void>): Promise<void> {
    await retryWhileRetryable(
      async () => {
        // Not retryable: the batch is left uncommitted and read again by whoever owns it next.
        if (!batch.isActive()) throw new BatchAbandonedError("stopping during a database outage");
        await work();
      },
      {
        onRetry: (error, attempt) => {
          const reason = errorMessage(error);
          if (!this.#databaseDown) {
            this.#databaseDown = true;
            this.#o.onDatabaseHealth?.(false, reason);
          }
          this.#o.metrics.databaseRetries.inc();
          this.#o.logger.error(
            { err: reason, attempt, topic: batch.topic, partition: batch.partition },
            "journal unavailable: holding the batch, executing nothing",
          );
          void batch.heartbeat().catch(() => undefined);
        },
      },
    );
    if (this.#databaseDown) {
      this.#databaseDown = false;
      this.#o.logger.info({}, "database reachable again: resuming");
      this.#o.onDatabaseHealth?.(true);
    }
  }
}
