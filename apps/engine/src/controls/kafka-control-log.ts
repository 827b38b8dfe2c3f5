import type { Logger, TradingControl } from "@engine/core";
import { type Admin, type Consumer, Kafka, Partitioners, type Producer } from "kafkajs";
import {
  type KafkaConnection,
  kafkaClientConfig,
  retryWhileSettling,
} from "../transport/kafka-transport.js";
import { type ControlLog, controlRecord } from "./control-log.js";

export interface KafkaControlLogOptions {
  connection: KafkaConnection;
  topic: string;
  /** The reader's own consumer group: it never commits, so every start reads from the beginning. */
  groupId: string;
  /** Replication factor when the topic is created (-1: the broker's default). */
  replicationFactor: number;
  logger: Logger;
}

/**
 * The control log on Kafka: one compacted partition (one order for every change; compaction keeps
 * each scope's latest), written by an idempotent producer, read by a consumer of its own group
 * from the beginning at every start. A fetch waits at most 100 ms for new changes, so a change
 * reaches every running instance well within a second.
 */
export class KafkaControlLog implements ControlLog {
  readonly #o: KafkaControlLogOptions;
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  readonly #producer: Producer;
  #consumer: Consumer | undefined;
  #connected: Promise<void> | undefined;

  constructor(options: KafkaControlLogOptions) {
    this.#o = options;
    this.#kafka = new Kafka(
      kafkaClientConfig(options.connection, options.logger.child({ component: "control-log" })),
    );
    this.#admin = this.#kafka.admin();
    this.#producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Connects and creates the topic when it is missing (compacted, one partition). */
  connect(): Promise<void> {
    this.#connected ??= (async () => {
      await this.#admin.connect();
      await this.#producer.connect();
      const existing = await this.#admin.listTopics();
      if (existing.includes(this.#o.topic)) return;
      await this.#admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: this.#o.topic,
            numPartitions: 1,
            replicationFactor: this.#o.replicationFactor,
            configEntries: [{ name: "cleanup.policy", value: "compact" }],
          },
        ],
      });
    })();
    return this.#connected;
  }

  async append(control: TradingControl): Promise<void> {
    await this.connect();
    const record = controlRecord(this.#o.topic, control);
    await this.#producer.send({
      topic: this.#o.topic,
      acks: -1,
      messages: [{ key: record.key, value: record.value }],
    });
  }

  async follow(onMessage: (value: string, position: bigint) => void): Promise<void> {
    await this.connect();
    const topic = this.#o.topic;
    const ends = await retryWhileSettling(() => this.#admin.fetchTopicOffsets(topic));
    // Where each partition ended when the reader started: caught up once it has read that far.
    const behind = new Map(
      ends
        .filter(({ high, low }) => BigInt(high) > BigInt(low))
        .map(({ partition, high }) => [partition, BigInt(high)]),
    );
    let caughtUp: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    if (behind.size === 0) caughtUp();
    const consumer = this.#kafka.consumer({
      groupId: this.#o.groupId,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        // One partition: its offsets order every change.
        if (message.value) onMessage(message.value.toString("utf8"), BigInt(message.offset));
        const end = behind.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          behind.delete(partition);
          if (behind.size === 0) caughtUp();
        }
      },
    });
    await done;
  }

  async close(): Promise<void> {
    await this.#consumer?.disconnect();
    await this.#producer.disconnect();
    await this.#admin.disconnect();
  }
}
