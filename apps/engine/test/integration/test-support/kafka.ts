import { randomBytes } from "node:crypto";
import {
  type Admin,
  type Consumer,
  Kafka,
  KafkaJSProtocolError,
  logLevel,
  Partitioners,
  type Producer,
} from "kafkajs";
import { KAFKA_BROKERS } from "./environment.js";
import type { Teardown } from "./teardown.js";

export const kafka = new Kafka({
  clientId: "engine-it",
  brokers: KAFKA_BROKERS.split(","),
  logLevel: logLevel.NOTHING,
});

/**
 * `admin.fetchTopicOffsets`, retried while the broker is still settling a partition's leader: a
 * topic created a moment ago (even with `waitForLeaders`) can answer NOT_LEADER_FOR_PARTITION for
 * a little while, and kafkajs does not retry that here.
 */
export async function topicOffsets(
  admin: Admin,
  topic: string,
): Promise<Awaited<ReturnType<Admin["fetchTopicOffsets"]>>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      const retriable = error instanceof KafkaJSProtocolError && error.retriable;
      if (!retriable || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** One message seen by a `TopicRecorder`. */
export interface Recorded {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  json: Record<string, unknown> & {
    id?: string;
    causation_id?: string;
    data?: Record<string, unknown>;
  };
}

/** Reads topics from their beginning into memory, so a test can wait for what it expects. */
export class TopicRecorder {
  readonly messages: Recorded[] = [];
  readonly #consumer: Consumer;
  readonly #topics: string[];
  readonly #groupId = `engine-it-recorder-${randomBytes(4).toString("hex")}`;

  constructor(topics: string[]) {
    this.#topics = topics;
    this.#consumer = kafka.consumer({
      groupId: this.#groupId,
      maxWaitTimeInMs: 50,
    });
  }

  async start(): Promise<this> {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: this.#topics.map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
    // Start at the current end: the shared result topics keep every earlier run's messages, and
    // reading them all first would make every test slower than the one before.
    for (const topic of this.#topics) {
      const offsets = await topicOffsets(admin, topic);
      await admin.setOffsets({
        groupId: this.#groupId,
        topic,
        partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })),
      });
    }
    await admin.disconnect();
    const joined = new Promise<void>((resolve) => {
      const remove = this.#consumer.on(this.#consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: this.#topics, fromBeginning: true });
    await this.#consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value?.toString("utf8") ?? "";
        let json: Recorded["json"] = {};
        try {
          json = JSON.parse(value) as Recorded["json"];
        } catch {
          // kept as raw text
        }
        this.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString("utf8") ?? null,
          value,
          json,
        });
      },
    });
    await joined;
    return this;
  }

  /** Messages of a topic caused by one of these events. */
  causedBy(topic: string, ids: ReadonlySet<string> | string): Recorded[] {
    const wanted = typeof ids === "string" ? new Set([ids]) : ids;
    return this.messages.filter(
      (m) => m.topic === topic && wanted.has(String(m.json.causation_id)),
    );
  }

  /** Waits until `check` returns true, or fails after `timeoutMs` with `describe()`. */
  async waitFor(check: () => boolean, timeoutMs = 30_000, describe = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until each of `topics` holds exactly one message caused by `signalId`. */
  async waitForResults(
    signalId: string,
    topics: readonly string[],
    timeoutMs: number,
    describe: string,
  ): Promise<void> {
    await this.waitFor(
      () => topics.every((topic) => this.causedBy(topic, signalId).length === 1),
      timeoutMs,
      describe,
    );
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}

/** A recorder of `topics`, started now and stopped at the teardown. */
export async function openRecorder(
  teardown: Teardown,
  topics: readonly string[],
): Promise<TopicRecorder> {
  const recorder = await new TopicRecorder([...topics]).start();
  teardown.defer(() => recorder.stop());
  return recorder;
}

/** A plain producer for test inputs. */
export async function connectProducer(): Promise<Producer> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/** A connected admin client; the caller disconnects it. */
export async function connectAdmin(): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/** A client `connect` resolves with, disconnected at the teardown. */
async function untilTeardown<T extends { disconnect(): Promise<void> }>(
  teardown: Teardown,
  connect: () => Promise<T>,
): Promise<T> {
  const client = await connect();
  teardown.defer(() => client.disconnect());
  return client;
}

/** A producer for test inputs, disconnected at the teardown. */
export function openProducer(teardown: Teardown): Promise<Producer> {
  return untilTeardown(teardown, connectProducer);
}

/** A connected admin client, disconnected at the teardown. */
export function openAdmin(teardown: Teardown): Promise<Admin> {
  return untilTeardown(teardown, connectAdmin);
}

/** A name no earlier run used, so tests never see each other's messages. */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}
