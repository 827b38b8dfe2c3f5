/** One message as read from a topic. */
export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
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
  key: string;
  value: string;
}

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
  /** Resolves once every message is acknowledged by the bus. */
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  /**
   * Starts consuming. `signals` is shared by the instances of a group, committed after each
   * handled batch; `ticks` is seen whole by every instance, from the latest message on.
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
