// Kafka topics and PostgreSQL databases of one bench run: created fresh, removed at the end.
import { Kafka, logLevel, Partitioners, pg } from "./deps.mjs";

// Where `pnpm services:up` puts them; the bench is run by node, not turbo, so no task declares these.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: a bench setting
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? "127.0.0.1:9092";
// biome-ignore lint/suspicious/noUndeclaredEnvVars: a bench setting
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";

export function kafka(clientId = "engine-bench") {
  return new Kafka({
    clientId,
    brokers: KAFKA_BROKERS.split(","),
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 300, retries: 10 },
  });
}

/** Fails with how to start them when Kafka or PostgreSQL does not answer. */
export async function checkServices() {
  const admin = kafka("engine-bench-check").admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    throw new Error(
      `Kafka does not answer on ${KAFKA_BROKERS} (${error.message}): run \`pnpm services:up\``,
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const client = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    throw new Error(
      `PostgreSQL does not answer on ${POSTGRES_URL} (${error.message}): run \`pnpm services:up\``,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Topics created by this run, deleted by `cleanup()`. */
const createdTopics = new Set();
const createdDatabases = new Set();

export async function createTopics(names, partitions = 3) {
  const admin = kafka("engine-bench-admin").admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
    });
    for (const name of names) createdTopics.add(name);
    // A loaded single-node KRaft broker may answer for a new topic a moment after creating it.
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: names });
        if (topics.every((topic) => topic.partitions.every((partition) => partition.leader >= 0)))
          break;
      } catch (error) {
        if (attempt >= 50) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Remembers topics someone else (the engine) created for this run, to delete them too. */
export function ownTopics(names) {
  for (const name of names) createdTopics.add(name);
}

/** A fresh database; its URL. */
export async function createDatabase(name) {
  const client = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}"`);
    await client.query(`create database "${name}"`);
    createdDatabases.add(name);
  } finally {
    await client.end();
  }
  return `${POSTGRES_URL}/${name}`;
}

export async function cleanup() {
  if (createdTopics.size > 0) {
    const admin = kafka("engine-bench-admin").admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const topics = [...createdTopics].filter((topic) => existing.has(topic));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
      createdTopics.clear();
    } catch (error) {
      process.stderr.write(`bench: could not delete topics: ${error.message}\n`);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
  if (createdDatabases.size > 0) {
    const client = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
    try {
      await client.connect();
      for (const name of createdDatabases) {
        await client.query(`drop database if exists "${name}" with (force)`);
      }
      createdDatabases.clear();
    } catch (error) {
      process.stderr.write(`bench: could not drop databases: ${error.message}\n`);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * Writes `count` messages from `pool` (round robin) to `topic`, several sends in flight; resolves
 * with the messages per second it wrote.
 */
export async function fill(topic, pool, count, { batch = 2_000, inFlight = 4 } = {}) {
  const producer = kafka("engine-bench-filler").producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      const size = Math.min(batch, count - from);
      next += size;
      const messages = new Array(size);
      for (let i = 0; i < size; i += 1) messages[i] = pool[(from + i) % pool.length];
      await producer.send({ topic, acks: 1, messages });
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    await producer.disconnect();
  }
  return count / ((performance.now() - started) / 1000);
}
