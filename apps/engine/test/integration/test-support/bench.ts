import type { Admin, Producer } from "kafkajs";
import { connectSql, openTestDatabase, type TestDatabase, type TestSql } from "./database.js";
import { openAdmin, openProducer, openRecorder, type TopicRecorder } from "./kafka.js";
import type { Teardown } from "./teardown.js";

/**
 * The test's own side of the real services: a database (with a connection of its own, `sql`, see
 * `connectSql`), a producer of inputs, a recorder of outputs and a Kafka admin.
 */
export interface Bench {
  db: TestDatabase;
  sql: TestSql;
  producer: Producer;
  recorder: TopicRecorder;
  admin: Admin;
}

/**
 * Opens a bench recording `recordedTopics` from their current end, on `db` or a database of its
 * own; the teardown closes it after every engine started later has stopped.
 */
export async function openBench(
  teardown: Teardown,
  recordedTopics: readonly string[],
  db?: TestDatabase,
): Promise<Bench> {
  const database = db ?? (await openTestDatabase(teardown));
  const sql = await connectSql(database.url);
  teardown.defer(() => sql.close());
  const producer = await openProducer(teardown);
  const recorder = await openRecorder(teardown, recordedTopics);
  const admin = await openAdmin(teardown);
  return { db: database, sql, producer, recorder, admin };
}
