import {
  BatchAbandonedError,
  type InboundMessage,
  type MessageTransport,
  type OutboundMessage,
  type Subscription,
  type TransportHealth,
} from "./transport.js";

const MAX_BATCH = 500;

interface Pump {
  subscription: Subscription;
  position: number;
  done: Promise<void>;
}

/**
 * An in-process bus with Kafka's semantics as far as the engine relies on them: ordered topics,
 * batches handled one at a time per subscription, consumption from the latest message on. It
 * replaces Kafka in the embedded default and nowhere else.
 */
export class InMemoryTransport implements MessageTransport {
  readonly #topics = new Map<string, InboundMessage[]>();
  readonly #listeners = new Map<string, Set<(message: OutboundMessage) => void>>();
  #pumps: Pump[] = [];
  #running = false;
  #wake: () => void = () => {};
  #wakeup = Promise.resolve();

  async ensureTopics(topics: readonly string[]): Promise<string[]> {
    const created: string[] = [];
    for (const topic of topics) {
      if (this.#topics.has(topic)) continue;
      this.#topics.set(topic, []);
      created.push(topic);
    }
    return created;
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    for (const message of messages) {
      let log = this.#topics.get(message.topic);
      if (!log) {
        log = [];
        this.#topics.set(message.topic, log);
      }
      log.push({
        topic: message.topic,
        partition: 0,
        offset: String(log.length),
        key: message.key === null ? null : Buffer.from(message.key),
        value: Buffer.from(message.value),
        timestamp: String(Date.now()),
      });
      for (const listener of this.#listeners.get(message.topic) ?? []) listener(message);
    }
    this.#wake();
  }

  /** Calls `listener` with every message published to `topic` from now on. */
  listen(topic: string, listener: (message: OutboundMessage) => void): () => void {
    let set = this.#listeners.get(topic);
    if (!set) {
      set = new Set();
      this.#listeners.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Calls `listener` with every message of `topic` so far, at once, then with each one published
   * from now on (a reader from the beginning of the topic, caught up when this returns).
   */
  replay(topic: string, listener: (message: OutboundMessage) => void): () => void {
    for (const message of this.#topics.get(topic) ?? []) {
      listener({ topic, key: message.key, value: message.value?.toString("utf8") ?? "" });
    }
    return this.listen(topic, listener);
  }

  async start(subscriptions: { signals: Subscription; ticks: Subscription }): Promise<void> {
    this.#running = true;
    this.#arm();
    this.#pumps = [subscriptions.signals, subscriptions.ticks].map((subscription) => {
      const pump: Pump = {
        subscription,
        position: this.#topics.get(subscription.topic)?.length ?? 0,
        done: Promise.resolve(),
      };
      pump.done = this.#run(pump);
      return pump;
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake();
    await Promise.all(this.#pumps.map((pump) => pump.done));
    this.#pumps = [];
  }

  async close(): Promise<void> {}

  health(): TransportHealth {
    return { connected: true };
  }

  async #run(pump: Pump): Promise<void> {
    while (this.#running) {
      const log = this.#topics.get(pump.subscription.topic) ?? [];
      if (pump.position >= log.length) {
        await this.#wakeup;
        continue;
      }
      const messages = log.slice(pump.position, pump.position + MAX_BATCH);
      try {
        await pump.subscription.handle({
          topic: pump.subscription.topic,
          partition: 0,
          messages,
          heartbeat: async () => {},
          isActive: () => this.#running,
        });
        pump.position += messages.length;
      } catch (error) {
        if (!(error instanceof BatchAbandonedError)) throw error;
      }
    }
  }

  #arm(): void {
    this.#wakeup = new Promise((resolve) => {
      this.#wake = () => {
        this.#arm();
        resolve();
      };
    });
  }
}
