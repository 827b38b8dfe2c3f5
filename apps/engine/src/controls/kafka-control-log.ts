import { errorMessage, type Logger, SettingsError, type TradingControl } from "@engine/core";
import {
  type Admin,
  type ConfigResourceTypes,
  type Consumer,
  Kafka,
  Partitioners,
  type Producer,
} from "kafkajs";
import {
  type KafkaConnection,
  kafkaClientConfig,
  retryWhileSettling,
} from "../transport/kafka-transport.js";
import { type ControlLog, type ControlLogReader, controlRecord } from "./control-log.js";

export interface KafkaControlLogOptions {
  connection: KafkaConnection;
  topic: string;
  /** The reader's own consumer group: it never commits, so every reading starts at the beginning. */
  groupId: string;
  /** Replication factor when the topic is created (-1: the broker's default). */
  replicationFactor: number;
  /**
   * Creates the topic when it is missing (the engine, at its start and when the topic disappears
   * under it). Without it a missing topic is refused (the CLI: a misspelt name must not become a
   * new log no engine reads).
   */
  createIfMissing: boolean;
  logger: Logger;
  /** Pause between attempts to read the log again once it was lost; 1 s by default. */
  retryMs?: number;
}

/**
 * `ConfigResourceTypes.TOPIC`: kafkajs is CommonJS and Node's ESM loader does not find that enum
 * among its named exports, so the deployed engine could not import it.
 */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** The variable that names the control topic, for every refusal of it. */
const TOPIC_VARIABLE = "ENGINE_CONTROL_TOPIC";

/**
 * Why a topic with these settings cannot hold the control log, or null. Refused rather than
 * warned about: every instance learns the trading state by reading the log from its beginning, so
 * on a topic that deletes by time or size a halt older than the retention vanishes, and every
 * instance started afterwards trades as if it had never been set (a kill switch lifted by nobody,
 * seen by nobody). Compaction keeps each scope's latest change for ever; a `delete` policy is
 * taken only with no retention limit at all.
 */
export function controlTopicRetentionProblem(config: Record<string, string | undefined>) {
  const policies = (config["cleanup.policy"] ?? "delete").split(",").map((p) => p.trim());
  if (!policies.includes("delete")) return null;
  const ms = config["retention.ms"] ?? "604800000";
  const bytes = config["retention.bytes"] ?? "-1";
  if (ms === "-1" && bytes === "-1") return null;
  return `cleanup.policy is ${policies.join(",")} (retention.ms ${ms}, retention.bytes ${bytes}): a halt older than the retention would vanish from the log and an engine started later would trade through it; make it compacted (kafka-configs --alter --entity-type topics --entity-name <topic> --add-config cleanup.policy=compact)`;
}

function controlTopicError(topic: string, problem: string): SettingsError {
  return new SettingsError([
    { variable: TOPIC_VARIABLE, message: `control topic "${topic}" ${problem}` },
  ]);
}

/**
 * The control log on Kafka: one compacted partition (one order for every change; compaction keeps
 * each scope's latest), written by an idempotent producer, read by a consumer of its own group
 * from the beginning. A fetch waits at most 100 ms for new changes, so a change reaches every
 * running instance well within a second.
 *
 * The topic is checked before anything is read or written: it must have exactly one partition
 * (offsets order changes only within one) and keep its records. A reading that goes wrong (its
 * consumer crashes, an offset comes again or goes back, a record arrives on another partition:
 * the topic was deleted or re-created) is lost: the reader is rewound and the log read again, by
 * a fresh consumer, from its beginning, after checking the topic again (re-creating it when it is
 * missing), until that succeeds. Offsets are not compared across readings.
 */
export class KafkaControlLog implements ControlLog {
  readonly #o: KafkaControlLogOptions;
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  readonly #producer: Producer;
  #consumer: Consumer | undefined;
  #connected: Promise<void> | undefined;
  #reader: ControlLogReader | undefined;
  /** The current reading: records and crashes of an earlier one are ignored. */
  #reading = 0;
  #reopening: Promise<void> | undefined;
  #closed = false;

  constructor(options: KafkaControlLogOptions) {
    this.#o = options;
    this.#logger = options.logger.child({ component: "control-log" });
    this.#kafka = new Kafka(kafkaClientConfig(options.connection, this.#logger));
    this.#producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // A send to a missing topic must not make one with the broker's defaults.
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /**
   * Connects and checks the topic, creating it when missing if allowed (compacted, one partition).
   * @throws SettingsError naming `ENGINE_CONTROL_TOPIC` when the topic is missing (and may not be
   *   created), has other than one partition, or deletes its records
   */
  connect(): Promise<void> {
    this.#connected ??= (async () => {
      await this.#producer.connect();
      await this.#checkTopic();
    })().catch((error: unknown) => {
      this.#connected = undefined;
      throw error;
    });
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

  async follow(reader: ControlLogReader): Promise<void> {
    await this.connect();
    let firstCaughtUp: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      firstCaughtUp = resolve;
    });
    this.#reader = {
      record: (value) => reader.record(value),
      rewind: (reason) => reader.rewind(reason),
      caughtUp: () => {
        reader.caughtUp();
        firstCaughtUp();
      },
    };
    await this.#read();
    await done;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#reading += 1;
    await this.#consumer?.disconnect();
    await this.#producer.disconnect();
  }

  async #checkTopic(): Promise<void> {
    // A client of its own each time: kafkajs keeps asking for the topics a client asked for
    // before, and fails every metadata request while one of them is deleted.
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      await this.#checkTopicWith(admin);
    } finally {
      await admin.disconnect();
    }
  }

  async #checkTopicWith(admin: Admin): Promise<void> {
    const topic = this.#o.topic;
    if (!(await admin.listTopics()).includes(topic)) {
      if (!this.#o.createIfMissing) {
        throw controlTopicError(
          topic,
          "does not exist: the engine creates it when it starts; check the name (every instance and the CLI must use the same one), or start the engine first",
        );
      }
      // False (not an error) when another instance created it meanwhile: checked below either way.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 1,
            replicationFactor: this.#o.replicationFactor,
            configEntries: [{ name: "cleanup.policy", value: "compact" }],
          },
        ],
      });
    }
    const metadata = await retryWhileSettling(() => admin.fetchTopicMetadata({ topics: [topic] }));
    const partitions = metadata.topics[0]?.partitions.length ?? 0;
    if (partitions !== 1) {
      throw controlTopicError(
        topic,
        `has ${partitions} partitions: the control log needs exactly 1 (offsets order its changes only within one partition); delete it and let the engine create it, or name another topic`,
      );
    }
    const described = await retryWhileSettling(() =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name: topic,
            configNames: ["cleanup.policy", "retention.ms", "retention.bytes"],
          },
        ],
      }),
    );
    const config = Object.fromEntries(
      (described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
    );
    const problem = controlTopicRetentionProblem(config);
    if (problem) throw controlTopicError(topic, problem);
  }

  /** Starts a reading from the beginning with a fresh consumer; resolves with its number once running. */
  async #read(): Promise<number> {
    this.#reading += 1;
    const reading = this.#reading;
    const topic = this.#o.topic;
    const reader = this.#reader;
    const admin = this.#kafka.admin();
    await admin.connect();
    const [ends] = await retryWhileSettling(() => admin.fetchTopicOffsets(topic)).finally(() =>
      admin.disconnect(),
    );
    // Where the log ended when this reading started: caught up once it has read that far.
    const end = ends && BigInt(ends.high) > BigInt(ends.low) ? BigInt(ends.high) : null;
    let caughtUp = false;
    const markCaughtUp = () => {
      if (caughtUp || reading !== this.#reading) return;
      caughtUp = true;
      reader?.caughtUp();
    };
    const consumer = this.#kafka.consumer({
      groupId: this.#o.groupId,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      // kafkajs would restart it where it was: this log starts a fresh reading instead. Fewer,
      // shorter retries than the default: a deleted topic is noticed in about 2 s, not 10.
      retry: { restartOnFailure: async () => false, retries: 4, maxRetryTime: 1_000 },
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      this.#lost(reading, `its consumer crashed: ${payload.error.message}`),
    );
    let last = -1n;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (reading !== this.#reading) return;
          const offset = BigInt(message.offset);
          // One partition, read once from its beginning: offsets only go up. Anything else means
          // the topic under this reading is not the one it started on.
          if (partition !== 0 || offset <= last) {
            this.#lost(
              reading,
              partition !== 0
                ? `a record on partition ${partition}: the topic was re-created with more partitions`
                : `offset ${offset} after ${last}: the topic was deleted or re-created`,
            );
            return;
          }
          last = offset;
          if (message.value) reader?.record(message.value.toString("utf8"));
          if (end !== null && offset + 1n >= end) markCaughtUp();
        },
      });
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw error;
    }
    if (this.#closed) await consumer.disconnect();
    if (end === null) markCaughtUp();
    return reading;
  }

  /** A reading went wrong: the reader is rewound and the log read again from its beginning. */
  #lost(reading: number, reason: string): void {
    if (reading !== this.#reading || this.#closed) return;
    this.#reading += 1;
    this.#logger.error(
      { topic: this.#o.topic, reason },
      "control log lost: reading it again from its beginning; no order goes out until it is read",
    );
    this.#reader?.rewind(`control topic ${this.#o.topic}: ${reason}`);
    this.#reopen();
  }

  #reopen(): void {
    this.#reopening ??= this.#readAgain().finally(() => {
      this.#reopening = undefined;
    });
  }

  async #readAgain(): Promise<void> {
    while (!this.#closed) {
      const stale = this.#consumer;
      this.#consumer = undefined;
      await stale?.disconnect().catch(() => {});
      if (this.#closed) return;
      try {
        await this.#checkTopic();
        const reading = await this.#read();
        if (reading === this.#reading) return;
        // Lost again while starting: once more.
      } catch (error) {
        if (this.#closed) return;
        this.#logger.error(
          { topic: this.#o.topic, err: errorMessage(error) },
          "control log cannot be read again yet: orders stay held",
        );
        await new Promise((resolve) => setTimeout(resolve, this.#o.retryMs ?? 1_000));
      }
    }
  }
}
