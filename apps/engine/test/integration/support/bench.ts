import type { Producer } from "kafkajs";
import { openTestDatabase, type TestDatabase } from "./database.js";
import { openProducer, openRecorder, type TopicRecorder } from "./kafka.js";
import type { Teardown } from "./teardown.js";

/** The test's own side of the real services: a database, a producer of inputs, a recorder of outputs. */
export interface Bench {
  db: TestDatabase;
  producer: Producer;
  recorder: TopicRecorder;
}

/**
 * Opens a bench recording `recordedTopics` from their current end; the teardown closes it after
 * every engine started later has stopped.
 */
export async function openBench(
  teardown: Teardown,
  recordedTopics: readonly string[],
): Promise<Bench> {
  const db = await openTestDatabase(teardown);
  const producer = await openProducer(teardown);
  const recorder = await openRecorder(teardown, recordedTopics);
  return { db, producer, recorder };
}
