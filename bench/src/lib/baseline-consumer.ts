// The baseline: a bare kafkajs consumer that only parses each tick's JSON (or, with `none`, does
// nothing with it: the client's own ceiling). Run as a process of its own, like the engine, by
// `sections/ingest.ts`:
//   node baseline-consumer.ts <topic> <count> <group> [parse|none]
// It prints one JSON line when it has read <count> messages.
import { Kafka, logLevel } from "kafkajs";
import { CONSUMER_FETCH } from "./fetch-settings.ts";

const [topic, countText, groupId, work = "parse"] = process.argv.slice(2);
if (!topic || !countText || !groupId) {
  console.error("usage: baseline-consumer.ts <topic> <count> <group> [parse|none]");
  process.exit(2);
}
const parse = work === "parse";
const count = Number(countText);
const kafka = new Kafka({
  clientId: "engine-bench-baseline",
  brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
  logLevel: logLevel.NOTHING,
});
const consumer = kafka.consumer({
  groupId,
  allowAutoTopicCreation: false,
  ...CONSUMER_FETCH.consumer,
});

/** The one field the baseline reads of a tick. */
interface TickShape {
  data: { instrument_token: number };
}

let seen = 0;
let firstAt: number | null = null;
let firstCount = 0;
let sink = 0;
let finished = false;

const finish = async () => {
  if (finished) return;
  finished = true;
  const doneAt = performance.now();
  const report = {
    count: seen,
    first_batch: firstCount,
    seconds: (doneAt - (firstAt ?? doneAt)) / 1000,
    per_s: (seen - firstCount) / ((doneAt - (firstAt ?? doneAt)) / 1000),
    checksum: sink % 9973,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  // Not `consumer.disconnect()`: it waits for this very batch to end. The group is this run's own.
  process.exit(0);
};

await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  ...CONSUMER_FETCH.run,
  eachBatch: async ({ batch }) => {
    if (parse) {
      for (const message of batch.messages) {
        sink += (JSON.parse(message.value?.toString("utf8") ?? "null") as TickShape).data
          .instrument_token;
      }
    }
    seen += batch.messages.length;
    if (firstAt === null) {
      firstAt = performance.now();
      firstCount = seen;
    }
    if (seen >= count) await finish();
  },
});
