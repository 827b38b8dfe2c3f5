import { type Clock, type Logger, systemClock } from "@engine/core";
import kafkajs, {
  type Admin,
  type ConfigResourceTypes,
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
import { DEFAULT_MAX_MESSAGE_BYTES, deadLetter } from "../pipeline/dead-letter.js";
import type { SignalsStart } from "../settings/engine-settings.js";
import { describeError, isBusTrouble, isEngineBroken } from "./handler-failures.js";
import { splitBySize } from "./produce-requests.js";
import { TickWarmup } from "./tick-warmup.js";
import {
  BatchAbandonedError,
  type InboundBatch,
  type InboundMessage,
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
   * Read the tick topic from its first retained tick rather than `ticksWarmupMs` back (replays and
   * benchmarks; every start then reads the whole history into the price cache).
   */
  ticksFromBeginning?: boolean;
  /**
   * At start, read the ticks of this many ms back (by record timestamp) to the end of the topic as
   * it was at start before executing any signal (`TICKS_WARMUP_MS`). 0: from the latest tick on.
   */
  ticksWarmupMs?: number;
  /** The most signal batches wait for that warm-up, ms (`TICKS_WARMUP_TIMEOUT_MS`). */
  ticksWarmupTimeoutMs?: number;
  /** Where the signals group starts a partition it has no committed offset for. Default: earliest. */
  signalsStart?: SignalsStart;
  /** Session timeout of the signals group, ms; heartbeats every sixth of it. Default: 6000. */
  sessionTimeoutMs?: number;
  /**
   * The largest produce request and record, bytes (`KAFKA_MAX_MESSAGE_BYTES`); lowered at
   * `ensureTopics` to the smallest `max.message.bytes` of the engine's topics when readable.
   */
  maxMessageBytes?: number;
  /** The dead-letter topic of a consumed topic (a message no handler could take goes there). */
  deadLetterTopic(topic: string): string;
  /** Told each dead letter this transport published itself (the console's list); must not throw. */
  onDeadLetter?(letter: OutboundMessage): void;
  topicPartitions: number;
  replicationFactor: number;
  /** Signal partitions handled at once by this instance. */
  partitionsConsumedConcurrently?: number;
  /**
   * Called when a consumer stopped for good (kafkajs gave up on it): the process should exit
   * non-zero so its supervisor starts a fresh one. Without it, the failure shows on `/ready` only.
   */
  onFatal?(error: Error): void;
  clock?: Clock;
  logger: Logger;
  metrics: EngineMetrics;
}

// Not named exports Node's ESM loader finds in kafkajs (a CommonJS module that spreads them in).
const { KafkaJSError, KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs;

const KAFKA_LOG_LEVELS: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** The connection settings of a kafkajs client, its logs going to `logger`. */
export type KafkaConnection = Pick<KafkaTransportOptions, "brokers" | "clientId" | "ssl" | "sasl">;

/** A kafkajs client configuration: brokers, TLS, SASL, and kafkajs's own logs into the engine's. */
export function kafkaClientConfig(connection: KafkaConnection, logger: Logger): KafkaConfig {
  const config: KafkaConfig = {
    clientId: connection.clientId,
    brokers: connection.brokers,
    ssl: connection.ssl,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, namespace, log }) => {
        const { message, ...extra } = log;
        const method = KAFKA_LOG_LEVELS[level] ?? "info";
        logger[method]({ kafka_namespace: namespace, ...extra }, message);
      },
  };
  if (connection.sasl) config.sasl = connection.sasl as SASLOptions;
  return config;
}

/** Tries of one message that fails on its own before it is dead-lettered. */
const MESSAGE_ATTEMPTS = 3;
const MESSAGE_RETRY_MS = 500;

/**
 * The engine's bus on Kafka (or Redpanda) with kafkajs: an idempotent producer that waits for
 * every in-sync replica and keeps each request under the broker's size limit, a signals consumer
 * group that commits a batch only after it is handled, and a per-instance tick consumer that first
 * reads the last few minutes of ticks.
 *
 * No message stops consumption: a batch that fails for another reason than the broker is handled
 * again one message at a time, and the message that still fails goes to its dead-letter topic. A
 * consumer kafkajs gives up on is reported to `onFatal`.
 */
export class KafkaTransport implements MessageTransport {
  readonly #o: KafkaTransportOptions;
  readonly #kafka: Kafka;
  readonly #producer: Producer;
  readonly #admin: Admin;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #sessionTimeoutMs: number;
  #maxMessageBytes: number;
  #consumers: Consumer[] = [];
  readonly #commits = new Set<Promise<void>>();
  #connected = false;
  #stopping = false;
  #failure: string | undefined;
  /** Resolves when signals may be executed: the tick warm-up is done or timed out, or stopping. */
  #ticksWarm: Promise<void> = Promise.resolve();
  #openWarmGate: () => void = () => {};
  #warmTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: KafkaTransportOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 6_000;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#logger = options.logger.child({ component: "kafka" });
    this.#kafka = new Kafka(kafkaClientConfig(options, this.#logger));
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

  /** The largest produce request and record this transport sends, bytes. */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  async connect(): Promise<void> {
    await this.#admin.connect();
    await this.#producer.connect();
    this.#connected = true;
    this.#producer.on(this.#producer.events.DISCONNECT, () => {
      this.#connected = false;
    });
  }

  /** Also learns the smallest `max.message.bytes` of `topics`, the engine's every topic. */
  async ensureTopics(topics: readonly string[]): Promise<string[]> {
    const existing = new Set(await this.#admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await this.#admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.#o.topicPartitions,
          replicationFactor: this.#o.replicationFactor,
        })),
      });
    }
    await this.#learnMessageLimit([...new Set(topics)]);
    return missing;
  }

  async #learnMessageLimit(topics: string[]): Promise<void> {
    try {
      const { resources } = await this.#admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({
          type: kafkajs.ConfigResourceTypes.TOPIC as ConfigResourceTypes,
          name,
          configNames: ["max.message.bytes"],
        })),
      });
      let smallest = Number.POSITIVE_INFINITY;
      for (const resource of resources) {
        for (const entry of resource.configEntries) {
          const value = Number(entry.configValue);
          if (entry.configName === "max.message.bytes" && Number.isSafeInteger(value) && value > 0)
            smallest = Math.min(smallest, value);
        }
      }
      if (smallest < this.#maxMessageBytes) {
        this.#logger.warn(
          { max_message_bytes: smallest, setting: this.#maxMessageBytes },
          "a topic takes smaller messages than KAFKA_MAX_MESSAGE_BYTES: using its limit",
        );
        this.#maxMessageBytes = smallest;
      }
    } catch (error) {
      this.#logger.warn(
        { err: describeError(error), max_message_bytes: this.#maxMessageBytes },
        "could not read the topics' max.message.bytes: keeping KAFKA_MAX_MESSAGE_BYTES",
      );
    }
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // One request after the other, so messages keep their order within a partition.
    for (const run of splitBySize(messages, this.#maxMessageBytes)) {
      const byTopic = new Map<string, { key: string | Buffer | null; value: string }[]>();
      for (const { topic, key, value } of run) {
        const list = byTopic.get(topic);
        if (list) list.push({ key, value });
        else byTopic.set(topic, [{ key, value }]);
      }
      await this.#producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
      });
    }
  }

  async start(subscriptions: { signals: Subscription; ticks: Subscription }): Promise<void> {
    this.#stopping = false;
    const warmup = await this.#planWarmup(subscriptions.ticks.topic);
    const signalStarts = await this.#signalStartsByTime(subscriptions.signals.topic);

    const signals = this.#kafka.consumer({
      groupId: this.#o.signalGroupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.#sessionTimeoutMs,
      heartbeatInterval: this.#heartbeatMs(),
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
        this.#logger.error(
          { err: describeError(payload.error), restart: payload.restart, group: payload.groupId },
          payload.restart ? "kafka consumer crashed: restarting it" : "kafka consumer stopped",
        );
        if (!payload.restart && !this.#stopping) this.#o.onFatal?.(payload.error);
      });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        this.#failure = undefined;
      });
    }
    // Seeks from a GROUP_JOIN listener run before the consumer's first fetch.
    onFirstJoin(ticks, this.#logger, (assignment) => {
      for (const partition of warmup.partitions) {
        if (!assignment[subscriptions.ticks.topic]?.includes(partition.partition)) continue;
        if (partition.start >= partition.end) continue;
        ticks.seek({
          topic: subscriptions.ticks.topic,
          partition: partition.partition,
          offset: partition.start.toString(),
        });
      }
    });
    onFirstJoin(signals, this.#logger, (assignment) => {
      for (const { partition, offset } of signalStarts) {
        if (!assignment[subscriptions.signals.topic]?.includes(partition)) continue;
        signals.seek({ topic: subscriptions.signals.topic, partition, offset });
      }
    });
    const progress = new TickWarmup(warmup.partitions);
    ticks.on(ticks.events.END_BATCH_PROCESS, ({ payload }) => {
      progress.read(payload.partition, payload.lastOffset);
    });
    this.#ticksWarm = new Promise((resolve) => {
      this.#openWarmGate = resolve;
    });
    void this.#warmOrTimeout(progress, subscriptions.ticks.topic, warmup.from).then(
      this.#openWarmGate,
    );

    const joined = Promise.all(this.#consumers.map((consumer) => onceJoined(consumer)));
    await Promise.all(this.#consumers.map((consumer) => consumer.connect()));
    await signals.subscribe({
      topics: [subscriptions.signals.topic],
      // Without a committed offset, a partition starts at its first retained signal: a signal
      // produced before this group's first commit is still read (and answered).
      fromBeginning: (this.#o.signalsStart?.kind ?? "earliest") !== "latest",
    });
    await ticks.subscribe({
      topics: [subscriptions.ticks.topic],
      fromBeginning: this.#o.ticksFromBeginning ?? false,
    });

    // Both join at once: the signals group may wait for a killed member's session meanwhile, and
    // the ticks are read during that wait (signal batches wait for them, not the join).
    await Promise.all([
      ticks.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 4,
        eachBatch: (payload) => this.#handle(subscriptions.ticks, payload, false),
      }),
      signals.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.#o.partitionsConsumedConcurrently ?? 8,
        eachBatch: (payload) => this.#handle(subscriptions.signals, payload, true),
      }),
    ]);
    await joined;
  }

  /** Where each tick partition starts, and where it ended when the engine started. */
  async #planWarmup(
    topic: string,
  ): Promise<{ partitions: { partition: number; start: bigint; end: bigint }[]; from: string }> {
    const warmupMs = this.#o.ticksWarmupMs ?? 0;
    if (!this.#o.ticksFromBeginning && warmupMs <= 0) return { partitions: [], from: "latest" };
    const ends = await retryWhileSettling(() => this.#admin.fetchTopicOffsets(topic));
    let starts: Map<number, string>;
    let from: string;
    if (this.#o.ticksFromBeginning) {
      starts = new Map(ends.map(({ partition, low }) => [partition, low]));
      from = "beginning";
    } else {
      const since = this.#clock.now() - warmupMs;
      const found = await retryWhileSettling(() =>
        this.#admin.fetchTopicOffsetsByTimestamp(topic, since),
      );
      starts = new Map(found.map(({ partition, offset }) => [partition, offset]));
      from = new Date(since).toISOString();
    }
    return {
      from,
      partitions: ends.map(({ partition, high, low }) => ({
        partition,
        start: BigInt(starts.get(partition) ?? low),
        end: BigInt(high),
      })),
    };
  }

  /** With a start time: the partitions the group has no offset for, and where that time is. */
  async #signalStartsByTime(topic: string): Promise<{ partition: number; offset: string }[]> {
    const start = this.#o.signalsStart;
    if (start?.kind !== "time") return [];
    const [committed] = await this.#admin.fetchOffsets({
      groupId: this.#o.signalGroupId,
      topics: [topic],
    });
    const uncommitted = new Set(
      (committed?.partitions ?? [])
        .filter(({ offset }) => BigInt(offset) < 0n)
        .map(({ partition }) => partition),
    );
    const atTime = await retryWhileSettling(() =>
      this.#admin.fetchTopicOffsetsByTimestamp(topic, start.at),
    );
    return atTime.filter(({ partition }) => uncommitted.has(partition));
  }

  /** Resolves when the warm-up is done, or when its time is up (then saying how far it got). */
  #warmOrTimeout(progress: TickWarmup, topic: string, from: string): Promise<void> {
    if (progress.complete) return Promise.resolve();
    const startedAt = performance.now();
    const total = progress.remaining;
    const timeoutMs = this.#o.ticksWarmupTimeoutMs ?? 5_000;
    this.#logger.info(
      { topic, from, ticks: Number(total) },
      "reading recent ticks before executing signals",
    );
    const timedOut = new Promise<"timeout">((resolve) => {
      this.#warmTimer = setTimeout(() => resolve("timeout"), timeoutMs);
      this.#warmTimer.unref();
    });
    return Promise.race([progress.done.then(() => "done" as const), timedOut]).then((outcome) => {
      clearTimeout(this.#warmTimer);
      const ms = Math.round(performance.now() - startedAt);
      if (outcome === "done") {
        this.#logger.info({ topic, ticks: Number(total), ms }, "recent ticks read");
      } else {
        this.#logger.warn(
          { topic, ticks: Number(total), left: Number(progress.remaining), ms },
          "recent ticks not all read in TICKS_WARMUP_TIMEOUT_MS: executing signals anyway",
        );
      }
    });
  }

  async #handle(subscription: Subscription, payload: EachBatchPayload, commit: boolean) {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    if (batch.isEmpty()) return;
    const isActive = () => isRunning() && !isStale();
    // Membership is kept by heartbeats, which kafkajs sends between batches only: a long batch
    // (a slow broker, a database outage, the tick warm-up) sends its own.
    const beating = commit
      ? setInterval(() => void heartbeat().catch(() => {}), this.#heartbeatMs())
      : undefined;
    try {
      if (commit) {
        await this.#ticksWarm;
        if (!isActive()) return;
      }
      const messages = batch.messages.map(
        (message): InboundMessage => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          timestamp: message.timestamp,
        }),
      );
      const inbound = (list: InboundMessage[]): InboundBatch => ({
        topic: batch.topic,
        partition: batch.partition,
        messages: list,
        heartbeat,
        isActive,
      });
      if (!(await this.#handleBatch(subscription, messages, inbound, resolveOffset))) return;
    } finally {
      clearInterval(beating);
    }
    const last = batch.lastOffset();
    resolveOffset(last);
    if (commit) await this.#commit(batch.topic, batch.partition, last, payload, isActive);
    this.#o.metrics.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
  }

  /**
   * Hands the batch to the subscription, then, when that fails for another reason than the
   * broker, its messages one at a time. Resolves false when the batch is abandoned (left
   * unresolved and uncommitted: it is fetched again).
   * @throws a retryable error on broker trouble, a fatal one when the engine is broken
   */
  async #handleBatch(
    subscription: Subscription,
    messages: InboundMessage[],
    inbound: (list: InboundMessage[]) => InboundBatch,
    resolveOffset: (offset: string) => void,
  ): Promise<boolean> {
    try {
      await subscription.handle(inbound(messages));
      return true;
    } catch (error) {
      if (error instanceof BatchAbandonedError) return false;
      if (isBusTrouble(error)) throw retryable(error);
      if (isEngineBroken(error)) throw fatal(error);
      return this.#oneByOne(subscription, messages, inbound, resolveOffset, error).catch(
        (failure: unknown) => {
          throw isBusTrouble(failure) ? retryable(failure) : fatal(failure);
        },
      );
    }
  }

  /** Commits the offset after `last` on the batch's partition. */
  async #commit(
    topic: string,
    partition: number,
    last: string,
    { commitOffsetsIfNecessary }: EachBatchPayload,
    isActive: () => boolean,
  ): Promise<void> {
    // Not `consumer.commitOffsets`: once the consumer is stopping it silently skips the commit,
    // and the batch that `stop()` waits for would be redelivered (or, on a partition without a
    // committed offset, later messages skipped). The batch's own commit goes through while the
    // consumer is still in the group.
    const committed = commitOffsetsIfNecessary({
      topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
    });
    // The results are out and journaled, so the commit only spares a restart some republishing:
    // while running, the next fetch does not wait for it (a commit that fails is covered by the
    // next one, or by the journal on redelivery). Stopping, it is awaited before leaving.
    if (isActive()) this.#trackCommit(committed);
    else await committed;
  }

  #heartbeatMs(): number {
    return Math.max(100, Math.floor(this.#sessionTimeoutMs / 6));
  }

  /**
   * A batch failed for another reason than the broker: handles its messages one at a time (the
   * handlers are idempotent, so those handled before are only republished), tries the one that
   * fails a few times, then dead-letters it with the reason and goes on. Resolves false when the
   * batch is abandoned (stopping, or the partition moved).
   * @throws a retryable error when the broker fails meanwhile (the batch is then fetched again)
   */
  async #oneByOne(
    subscription: Subscription,
    messages: InboundMessage[],
    inbound: (list: InboundMessage[]) => InboundBatch,
    resolveOffset: (offset: string) => void,
    first: unknown,
  ): Promise<boolean> {
    this.#logger.warn(
      { topic: subscription.topic, messages: messages.length, err: describeError(first) },
      "a batch failed: handling its messages one at a time",
    );
    for (const message of messages) {
      if (!(await this.#handleOne(subscription, message, inbound))) return false;
      resolveOffset(message.offset);
    }
    return true;
  }

  /**
   * One message, tried up to MESSAGE_ATTEMPTS times, then dead-lettered. Resolves false when the
   * batch is abandoned.
   * @throws a retryable error on broker trouble; the engine's own breakage as it is
   */
  async #handleOne(
    subscription: Subscription,
    message: InboundMessage,
    inbound: (list: InboundMessage[]) => InboundBatch,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const single = inbound([message]);
      try {
        await subscription.handle(single);
        return true;
      } catch (error) {
        if (error instanceof BatchAbandonedError) return false;
        throwUnlessMessageFault(error);
        if (attempt >= MESSAGE_ATTEMPTS) {
          await this.#setAside(message, error);
          return true;
        }
        await sleep(MESSAGE_RETRY_MS * attempt);
        if (!single.isActive()) return false;
      }
    }
  }

  /** Dead-letters a message no handler could take, with why. */
  async #setAside(message: InboundMessage, error: unknown): Promise<void> {
    const reason = `not handled after ${MESSAGE_ATTEMPTS} tries: ${describeError(error)}`;
    this.#logger.error(
      { topic: message.topic, partition: message.partition, offset: message.offset, reason },
      "message set aside to its dead-letter topic",
    );
    const letter = deadLetter(
      message,
      reason,
      this.#o.deadLetterTopic(message.topic),
      this.#clock,
      this.#maxMessageBytes,
    );
    await this.publish([letter]);
    this.#o.metrics.deadLetters.inc({ topic: message.topic });
    this.#o.onDeadLetter?.(letter);
  }

  /** Commits sent on the coordinator's connection before this point are applied first. */
  #trackCommit(committed: Promise<void>): void {
    const tracked = committed
      .catch((error: unknown) => {
        this.#logger.warn(
          { err: describeError(error) },
          "offset commit failed: the next commit covers it",
        );
      })
      .finally(() => this.#commits.delete(tracked));
    this.#commits.add(tracked);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#warmTimer);
    // A signal batch still waiting for the warm-up is abandoned, not waited for.
    this.#openWarmGate();
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

/**
 * kafkajs retries a batch, then restarts the consumer, for an error it may retry. Its own errors
 * keep their type (it rejoins the group on a rebalance by it).
 */
function retryable(error: unknown): Error {
  if (error instanceof KafkaJSError && error.retriable) return error;
  const cause = error instanceof Error ? error : new Error(String(error));
  return Object.assign(new KafkaJSError(cause, { retriable: true }), { cause });
}

/**
 * Throws what the message is not to blame for: the broker's trouble (retryable) and the engine's
 * own breakage (as it is); returns for a failure that may be the message's.
 */
function throwUnlessMessageFault(error: unknown): void {
  if (isBusTrouble(error)) throw retryable(error);
  if (isEngineBroken(error)) throw error;
}

/** Stops the consumer for good (kafkajs does not restart it): `onFatal` hears of it. */
function fatal(error: unknown): Error {
  const cause = error instanceof Error ? error : new Error(String(error));
  return Object.assign(new KafkaJSNonRetriableError(cause), { cause });
}

/** Resolves at the consumer's first join; rejects if it stops for good before. */
function onceJoined(consumer: Consumer): Promise<void> {
  return new Promise((resolve, reject) => {
    const removeJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
      removeJoin();
      removeCrash();
      resolve();
    });
    const removeCrash = consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      removeJoin();
      removeCrash();
      reject(payload.error);
    });
  });
}

/** Calls `then` with the first assignment, synchronously within the join. */
function onFirstJoin(
  consumer: Consumer,
  logger: Logger,
  then: (assignment: Record<string, number[]>) => void,
) {
  const remove = consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    remove();
    try {
      then(payload.memberAssignment);
    } catch (error) {
      // A seek that failed leaves the partition where the group's offsets say: logged, not fatal.
      logger.error({ err: describeError(error) }, "could not seek after joining");
    }
  });
}

/**
 * An admin call on a topic, retried while the broker is still settling its partitions' leaders (a
 * topic created a moment ago can answer NOT_LEADER_OR_FOLLOWER for a little while).
 */
export async function retryWhileSettling<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const settling = error instanceof KafkaJSProtocolError && error.retriable;
      if (!settling || Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
