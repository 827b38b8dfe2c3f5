import type { Logger } from "@engine/core";
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type Producer,
  type SASLOptions,
} from "kafkajs";
import type { EngineMetrics } from "../observability/metrics.js";
import {
  BatchAbandonedError,
  type MessageTransport,
  type OutboundMessage,
  type Subscription,
  type TransportHealth,
} from "./transport.js";

export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl: {
    mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
    username: string;
    password: string;
  } | null;
  /** The signals consumer group, shared by every instance. */
  signalGroupId: string;
  /** This instance's own tick group, so it sees every tick. */
  tickGroupId: string;
  /**
   * Read the tick topic from its first retained tick rather than the latest (replays and
   * benchmarks; every start then reads the whole history into the price cache).
   */
  ticksFromBeginning?: boolean;
  topicPartitions: number;
  replicationFactor: number;
  /** Signal partitions handled at once by this instance. */
  partitionsConsumedConcurrently?: number;
  logger: Logger;
  metrics: EngineMetrics;
}

const KAFKA_LOG_LEVELS: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * The engine's bus on Kafka (or Redpanda) with kafkajs: an idempotent producer that waits for
 * every in-sync replica, a signals consumer group that commits a batch only after it is handled,
 * and a per-instance tick consumer that starts at the latest tick.
 */
export class KafkaTransport implements MessageTransport {
  readonly #o: KafkaTransportOptions;
  readonly #kafka: Kafka;
  readonly #producer: Producer;
  readonly #admin: Admin;
  #consumers: Consumer[] = [];
  readonly #commits = new Set<Promise<void>>();
  #connected = false;
  #failure: string | undefined;

  constructor(options: KafkaTransportOptions) {
    this.#o = options;
    const logger = options.logger.child({ component: "kafka" });
    const config: KafkaConfig = {
      clientId: options.clientId,
      brokers: options.brokers,
      ssl: options.ssl,
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, namespace, log }) => {
          const { message, ...extra } = log;
          const method = KAFKA_LOG_LEVELS[level] ?? "info";
          logger[method]({ kafka_namespace: namespace, ...extra }, message);
        },
    };
    if (options.sasl) config.sasl = options.sasl as SASLOptions;
    this.#kafka = new Kafka(config);
    this.#producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // The Java client's partitioner: the same key lands on the same partition as the platform's
      // other producers put it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.#admin = this.#kafka.admin();
  }

  async connect(): Promise<void> {
    await this.#admin.connect();
    await this.#producer.connect();
    this.#connected = true;
    this.#producer.on(this.#producer.events.DISCONNECT, () => {
      this.#connected = false;
    });
  }

  async ensureTopics(topics: readonly string[]): Promise<string[]> {
    const existing = new Set(await this.#admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return [];
    await this.#admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: this.#o.topicPartitions,
        replicationFactor: this.#o.replicationFactor,
      })),
    });
    return missing;
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const { topic, key, value } of messages) {
      const list = byTopic.get(topic);
      if (list) list.push({ key, value });
      else byTopic.set(topic, [{ key, value }]);
    }
    await this.#producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
    });
  }

  async start(subscriptions: { signals: Subscription; ticks: Subscription }): Promise<void> {
    const signals = this.#kafka.consumer({
      groupId: this.#o.signalGroupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 100,
    });
    const ticks = this.#kafka.consumer({
      groupId: this.#o.tickGroupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    this.#consumers = [signals, ticks];
    for (const consumer of this.#consumers) {
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        this.#failure = `consumer crashed: ${payload.error.message}`;
        this.#o.logger.error(
          { err: payload.error.message, restart: payload.restart },
          "kafka consumer crashed",
        );
      });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        this.#failure = undefined;
      });
    }

    const joined = Promise.all(this.#consumers.map((consumer) => onceJoined(consumer)));
    await Promise.all(this.#consumers.map((consumer) => consumer.connect()));
    await signals.subscribe({ topics: [subscriptions.signals.topic], fromBeginning: false });
    await ticks.subscribe({
      topics: [subscriptions.ticks.topic],
      fromBeginning: this.#o.ticksFromBeginning ?? false,
    });

    await signals.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsConsumedConcurrently ?? 8,
      eachBatch: (payload) => this.#handle(subscriptions.signals, payload, true),
    });
    await ticks.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.#handle(subscriptions.ticks, payload, false),
    });
    await joined;
  }

  async #handle(
    subscription: Subscription,
    {
      batch,
      resolveOffset,
      heartbeat,
      commitOffsetsIfNecessary,
      isRunning,
      isStale,
    }: EachBatchPayload,
    commit: boolean,
  ): Promise<void> {
    if (batch.isEmpty()) return;
    try {
      await subscription.handle({
        topic: batch.topic,
        partition: batch.partition,
        messages: batch.messages.map((message) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
        })),
        heartbeat,
        isActive: () => isRunning() && !isStale(),
      });
    } catch (error) {
      // Left unresolved and uncommitted: the batch is fetched again.
      if (error instanceof BatchAbandonedError) return;
      throw error;
    }
    const last = batch.lastOffset();
    resolveOffset(last);
    if (commit) {
      // Not `consumer.commitOffsets`: once the consumer is stopping it silently skips the commit,
      // and the batch that `stop()` waits for would be redelivered (or, on a partition without a
      // committed offset, later messages skipped). The batch's own commit goes through while the
      // consumer is still in the group.
      const committed = commitOffsetsIfNecessary({
        topics: [
          {
            topic: batch.topic,
            partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
          },
        ],
      });
      // The results are out and journaled, so the commit only spares a restart some republishing:
      // while running, the next fetch does not wait for it (a commit that fails is covered by the
      // next one, or by the journal on redelivery). Stopping, it is awaited before leaving.
      if (isRunning() && !isStale()) this.#trackCommit(committed);
      else await committed;
    }
    this.#o.metrics.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
  }

  /** Commits sent on the coordinator's connection before this point are applied first. */
  #trackCommit(committed: Promise<void>): void {
    const tracked = committed
      .catch((error: unknown) => {
        this.#o.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "offset commit failed: the next commit covers it",
        );
      })
      .finally(() => this.#commits.delete(tracked));
    this.#commits.add(tracked);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#commits);
    // Stopping a consumer waits for the batch in hand to finish (and commit) before leaving.
    await Promise.all(this.#consumers.map((consumer) => consumer.disconnect()));
    this.#consumers = [];
  }

  async close(): Promise<void> {
    await this.#producer.disconnect();
    await this.#admin.disconnect();
    this.#connected = false;
  }

  health(): TransportHealth {
    if (!this.#connected) return { connected: false, reason: "kafka producer not connected" };
    if (this.#failure) return { connected: false, reason: this.#failure };
    return { connected: true };
  }
}

function onceJoined(consumer: Consumer): Promise<void> {
  return new Promise((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      resolve();
    });
  });
}
