import { randomUUID } from "node:crypto";
import type { Consumer, Producer } from "kafkajs";
import { kafka } from "./kafka.js";
import type { SignalEvent } from "./signal-stream.js";
import type { Teardown } from "./teardown.js";

/** What the stand-in does with one signal: publish these results, or nothing (a silent drop). */
export type OldAnswer =
  | { kind: "fill"; fillPrice?: number; fees?: number | null; withoutCausation?: boolean }
  | { kind: "fail"; errorCode: string }
  | { kind: "drop" };

export interface OldEngineOptions {
  signalTopic: string;
  groupId: string;
  /** The namespace it executes on (results on `{namespace}.orders.*`). Default: paper. */
  namespace?: string;
  /**
   * false: it never commits, as an engine killed (SIGKILL, OOM) before its commits went out
   * leaves its group. Default true.
   */
  commits?: boolean;
  /** Per signal; default: a fill at the signal's price. */
  answer?: (signal: SignalEvent) => OldAnswer | Promise<OldAnswer>;
}

/**
 * A stand-in for the old (Python) engine: a kafkajs consumer group that executes each validated
 * signal by publishing one result the way the old engine writes it (its fill price is the
 * signal's price, its `order_id` says `old_`), and commits the signal only after its result is
 * acknowledged. `stop()` is its graceful stop: the message in hand finishes and is committed
 * before the consumer leaves the group.
 */
export class OldEngineStandin {
  readonly #o: OldEngineOptions;
  readonly #producer: Producer;
  #consumer: Consumer | null = null;
  /** Signal ids it executed, in order. */
  readonly executed: string[] = [];

  constructor(options: OldEngineOptions) {
    this.#o = options;
    this.#producer = kafka.producer();
  }

  async start(): Promise<void> {
    await this.#producer.connect();
    const consumer = kafka.consumer({
      groupId: this.#o.groupId,
      maxWaitTimeInMs: 50,
      sessionTimeout: 6_000,
    });
    this.#consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.#o.signalTopic, fromBeginning: true });
    await consumer.run({
      // kafkajs's own commit after every message: unlike `consumer.commitOffsets`, which it skips
      // once the consumer is stopping, it also commits the message in hand during a stop.
      autoCommit: this.#o.commits ?? true,
      autoCommitThreshold: 1,
      eachMessage: async ({ message }) => {
        const signal = JSON.parse(message.value?.toString("utf8") ?? "{}") as SignalEvent;
        await this.#execute(signal);
        this.executed.push(signal.id);
      },
    });
    await joined;
  }

  async #execute(signal: SignalEvent): Promise<void> {
    const answer: OldAnswer = (await this.#o.answer?.(signal)) ?? { kind: "fill" };
    if (answer.kind === "drop") return;
    const namespace = this.#o.namespace ?? "paper";
    const s = signal.data.original_signal;
    const now = new Date().toISOString();
    const common = {
      strategy_id: s.strategy_id,
      instrument_token: s.instrument_token,
      signal_type: s.signal_type,
      quantity: signal.data.validated_quantity,
      execution_mode: namespace,
      broker: namespace,
      timestamp: answer.kind === "fill" && answer.withoutCausation ? s.timestamp : now,
    };
    const data =
      answer.kind === "fill"
        ? {
            ...common,
            order_id: `old_${randomUUID().slice(0, 12)}`,
            fill_price: answer.fillPrice ?? s.price ?? 0,
            side: s.signal_type === "SELL" ? "SELL" : "BUY",
            fees: answer.fees === undefined ? 1.5 : answer.fees,
          }
        : {
            ...common,
            order_id: "N/A",
            price: s.price,
            error_code: answer.errorCode,
            error_message: `old engine: ${answer.errorCode}`,
          };
    const type = answer.kind === "fill" ? "order_filled" : "order_failed";
    const id = randomUUID();
    const causation = answer.kind === "fill" && answer.withoutCausation ? null : signal.id;
    const event = {
      id,
      type,
      ts: now,
      key: `${s.strategy_id}:${s.instrument_token}`,
      source: "trading_engine",
      broker: namespace,
      version: 1,
      correlation_id: signal.correlation_id,
      causation_id: causation,
      trace_id: signal.trace_id,
      parent_trace_id: causation,
      data,
    };
    const topic = `${namespace}.orders.${answer.kind === "fill" ? "filled" : "failed"}`;
    await this.#producer.send({
      topic,
      acks: -1,
      messages: [{ key: event.key, value: JSON.stringify(event) }],
    });
  }

  /** The graceful stop: finishes and commits the message in hand, then leaves the group. */
  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
    this.#consumer = null;
    await this.#producer.disconnect();
  }
}

/** Starts a stand-in old engine, stopped at the teardown if still running. */
export async function startOldEngine(
  teardown: Teardown,
  options: OldEngineOptions,
): Promise<OldEngineStandin> {
  const engine = new OldEngineStandin(options);
  await engine.start();
  teardown.defer(() => engine.stop());
  return engine;
}
