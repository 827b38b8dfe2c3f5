import { EngineError } from "@engine/core";

/** One message as read from a topic. */
export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /**
   * The record's timestamp as the bus gives it: ms since the Unix epoch in decimal text (Kafka's
   * CreateTime or LogAppendTime; the in-process bus's publish time). Absent when unknown.
   */
  timestamp?: string;
}

/** Consecutive messages of one partition, handed to a handler together. */
export interface InboundBatch {
  topic: string;
  partition: number;
  messages: InboundMessage[];
  /** Keeps group membership alive during long work (a database outage). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or lost the partition: abandon the batch, commit nothing. */
  isActive(): boolean;
}

export interface OutboundMessage {
  topic: string;
  /** Null: a record without a key (a dead letter keeps its message's key, even a missing one). */
  key: string | Buffer | null;
  value: string;
}

/**
 * What a record costs beyond its key and value in a produce request, bytes, rounded up: the
 * record batch header (61) and the record's own varints and attributes (up to about 25).
 */
export const RECORD_OVERHEAD_BYTES = 128;

export interface Subscription {
  topic: string;
  /** Resolves when every effect of the batch is durable; only then is it committed. */
  handle(batch: InboundBatch): Promise<void>;
}

export interface TransportHealth {
  connected: boolean;
  reason?: string;
}

/**
 * The message bus as the engine needs it. Kafka in production; an in-process bus for the embedded
 * default. Everything above it is the same code in both.
 */
export interface MessageTransport {
  /** Creates the topics that are missing; resolves with the ones it created. */
  ensureTopics(topics: readonly string[]): Promise<string[]>;
  /**
   * Resolves once every message is acknowledged by the bus, in order. Sent in requests that stay
   * under the bus's size limit.
   * @throws MessageTooLargeError (not retryable) when one message alone is over the limit
   */
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  /**
   * Starts consuming. `signals` is shared by the instances of a group, committed after each
   * handled batch; `ticks` is seen whole by every instance, from a recent point on (the Kafka
   * transport reads the last few minutes first, and holds signal batches until it has).
   * Resolves when both consumers are running.
   */
  start(subscriptions: { signals: Subscription; ticks: Subscription }): Promise<void>;
  /** Stops fetching and lets the batches in hand finish and commit. Publishing still works. */
  stop(): Promise<void>;
  /** Disconnects; after `stop()`, once nothing publishes any more. */
  close(): Promise<void>;
  health(): TransportHealth;
}

/** Thrown by a handler to leave a batch uncommitted: it is read again later. */
export class BatchAbandonedError extends Error {
  constructor(reason: string) {
    super(`batch abandoned: ${reason}`);
    this.name = "BatchAbandonedError";
  }
}

/** A message over the bus's size limit: sending it again cannot help. */
export class MessageTooLargeError extends EngineError {
  constructor(topic: string, bytes: number, limit: number) {
    super(
      "MESSAGE_TOO_LARGE",
      `a message to ${topic} takes ${bytes} bytes, over the limit of ${limit}`,
      { topic, bytes, limit },
      { retryable: false },
    );
  }
}
