// Kafka topics and PostgreSQL databases of one bench run: created fresh, removed at the end.
import { Kafka, logLevel, type Message, Partitioners } from "kafkajs";
import pg from "pg";

// Where `pnpm services:up` puts them; the bench is run by node, not turbo, so no task declares these.
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? "127.0.0.1:9092";
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";

/** A kafkajs client on the bench's broker, logging nothing. */
export function kafka(clientId = "engine-bench"): Kafka {
  return new Kafka({
    clientId,
    brokers: KAFKA_BROKERS.split(","),
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 300, retries: 10 },
  });
}

/** Fails with how to start them when Kafka or PostgreSQL does not answer. */
export async function checkServices(): Promise<void> {
  const admin = kafka("engine-bench-check").admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    throw new Error(
      `Kafka does not answer on ${KAFKA_BROKERS} (${messageOf(error)}): run \`pnpm services:up\``,
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
      `PostgreSQL does not answer on ${POSTGRES_URL} (${messageOf(error)}): run \`pnpm services:up\``,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Topics created by this run, deleted by `cleanup()`. */
const createdTopics = new Set<string>();
const createdDatabases = new Set<string>();

/** Creates `names` with `partitions` each and waits until every partition has a leader. */
export async function createTopics(names: string[], partitions = 3): Promise<void> {
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
export function ownTopics(names: string[]): void {
  for (const name of names) createdTopics.add(name);
}

/** A fresh database; its URL. */
export async function createDatabase(name: string): Promise<string> {
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

/** Deletes the topics and drops the databases this run made; reports, never throws. */
export async function cleanup(): Promise<void> {
  if (createdTopics.size > 0) {
    const admin = kafka("engine-bench-admin").admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const topics = [...createdTopics].filter((topic) => existing.has(topic));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
      createdTopics.clear();
    } catch (error) {
      process.stderr.write(`bench: could not delete topics: ${messageOf(error)}\n`);
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
      process.stderr.write(`bench: could not drop databases: ${messageOf(error)}\n`);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * Writes `count` messages from `pool` (round robin) to `topic`, several sends in flight; resolves
 * with the messages per second it wrote.
 */
export async function fill(
  topic: string,
  pool: readonly Message[],
  count: number,
  { batch = 2_000, inFlight = 4 } = {},
): Promise<number> {
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
      const messages = new Array<Message>(size);
      for (let i = 0; i < size; i += 1) messages[i] = pool[(from + i) % pool.length] as Message;
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

/** An error's message, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
