// The measuring client's side of a section: a consumer reading the engine's results, timing each
// message at the moment its batch is read.
import type { Consumer, KafkaMessage } from "kafkajs";

/**
 * Subscribes `consumer` to `topics` and runs it, calling `onMessage(topic, message, now)` for every
 * message, `now` being when its batch was read (`performance.now()`). Resolves once the consumer
 * joined its group. Offsets are committed every 5 s, not after every batch: a commit between two
 * fetches would put a broker round trip into what is timed.
 */
export async function consumeResults(
  consumer: Consumer,
  topics: string[],
  onMessage: (topic: string, message: KafkaMessage, now: number) => void,
): Promise<void> {
  await consumer.subscribe({ topics, fromBeginning: false });
  const joined = new Promise<void>((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      resolve();
    });
  });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 5_000,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const message of batch.messages) onMessage(batch.topic, message, now);
    },
  });
  await joined;
}

/** A message's JSON value, or null when it is not JSON. */
/** What the sections read of a result event; the rest of it is left unchecked. */
export interface ResultEnvelope {
  causation_id?: string | null;
  data?: { order_id?: string; error_code?: string };
}

export function parseOrNull(value: Buffer | null): ResultEnvelope | null {
  if (value === null) return null;
  try {
    return JSON.parse(value.toString("utf8")) as ResultEnvelope;
  } catch {
    return null;
  }
}
