import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { KAFKA_BROKERS, POSTGRES_ADMIN_URL } from "./environment.js";

/**
 * Fails the run at once, with the way out, when a real service is missing: integration tests are
 * never skipped.
 */
export default async function checkServices(): Promise<void> {
  const problems: string[] = [];
  const client = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 5_000,
  });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    problems.push(`PostgreSQL at ${POSTGRES_ADMIN_URL}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
  const admin = new Kafka({
    clientId: "engine-it-check",
    brokers: KAFKA_BROKERS.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    problems.push(`Kafka at ${KAFKA_BROKERS}: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
  if (problems.length > 0) {
    throw new Error(
      `Integration tests need the real services; start them with \`pnpm services:up\`.\n  ${problems.join("\n  ")}`,
    );
  }
}
