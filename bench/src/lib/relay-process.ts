// The latency baseline: what kafkajs alone costs for the engine's two hops. In a process of its
// own, as the engine is, it consumes signals as the engine's signal consumer does (same consumer
// settings, a batch at a time, offsets committed after each batch) and answers each at once with
// an acks=all produce of a result naming it, with no journal, routing or trading in between.
//   node bench/src/lib/relay-process.ts   (RELAY_IN, RELAY_OUT, RELAY_GROUP, KAFKA_BROKERS)
import { Kafka, logLevel, Partitioners } from "kafkajs";

const { RELAY_IN, RELAY_OUT, RELAY_GROUP, KAFKA_BROKERS } = process.env;
if (!RELAY_IN || !RELAY_OUT || !RELAY_GROUP || !KAFKA_BROKERS) {
  console.error("relay: RELAY_IN, RELAY_OUT, RELAY_GROUP and KAFKA_BROKERS are required");
  process.exit(2);
}

const kafka = new Kafka({
  clientId: "engine-bench-relay",
  brokers: KAFKA_BROKERS.split(","),
  logLevel: logLevel.NOTHING,
});
// As apps/engine/src/transport/kafka-transport.ts configures its producer and signal consumer.
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
});
const consumer = kafka.consumer({
  groupId: RELAY_GROUP,
  allowAutoTopicCreation: false,
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
  maxWaitTimeInMs: 100,
});

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [RELAY_IN], fromBeginning: false });
const joined = new Promise<void>((resolve) =>
  consumer.on(consumer.events.GROUP_JOIN, () => resolve()),
);
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  partitionsConsumedConcurrently: 8,
  eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
    if (batch.isEmpty()) return;
    const messages = batch.messages.map((message) => {
      const signal = JSON.parse(message.value?.toString("utf8") ?? "null") as { id: string };
      return {
        key: message.key,
        value: JSON.stringify({ type: "order_filled", causation_id: signal.id }),
      };
    });
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic: RELAY_OUT, messages }] });
    const last = batch.lastOffset();
    resolveOffset(last);
    await commitOffsetsIfNecessary({
      topics: [
        {
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
        },
      ],
    });
  },
});
await joined;
console.log("relay ready");

process.on("SIGTERM", async () => {
  await consumer.disconnect();
  await producer.disconnect();
  process.exit(0);
});
