import type { Producer } from "kafkajs";
import type { TestDatabase } from "./database.js";
import type { TestEngine } from "./in-process-engine.js";
import { kafka, type Recorded, type TopicRecorder } from "./kafka.js";
import { asMessage, marketTick } from "./messages.js";

/**
 * The result topics of one or more execution namespaces (every outcome a signal can end in),
 * optionally under a prefix (shadow mode).
 */
export function resultTopics(namespaces: string | readonly string[], prefix = ""): string[] {
  return (typeof namespaces === "string" ? [namespaces] : namespaces).flatMap((namespace) =>
    ["submitted", "filled", "failed"].map((kind) => `${prefix}${namespace}.orders.${kind}`),
  );
}

/** Every result a recorder saw for one signal on one namespace's result topics. */
export function resultsOf(
  recorder: TopicRecorder,
  signalId: string,
  namespace: string,
  prefix = "",
): Recorded[] {
  return resultTopics(namespace, prefix).flatMap((topic) => recorder.causedBy(topic, signalId));
}

/** The results of one signal on one namespace, by kind. */
export interface ResultsByKind {
  placed: readonly unknown[];
  filled: readonly unknown[];
  failed: readonly unknown[];
}

/** How many results of each kind an outcome holds, to assert on in one go. */
export function resultCounts(outcome: ResultsByKind): {
  placed: number;
  filled: number;
  failed: number;
} {
  return {
    placed: outcome.placed.length,
    filled: outcome.filled.length,
    failed: outcome.failed.length,
  };
}

/** A random instrument token, so a file's ticks and prices never mix with another's. */
export function randomToken(): number {
  return 100_000 + Math.floor(Math.random() * 800_000);
}

/**
 * Gives the engine a last price for `token`: sends a tick and waits until the engine applied a
 * tick, sending again now and then (the tick consumer starts at the latest offset).
 */
export async function primePrice(
  engine: TestEngine,
  producer: Producer,
  token: number,
  price: number,
  timeoutMs = 20_000,
): Promise<void> {
  const before = await engine.ticksApplied();
  const deadline = Date.now() + timeoutMs;
  let sentAt = 0;
  while ((await engine.ticksApplied()) === before) {
    if (Date.now() > deadline) throw new Error(`no tick applied within ${timeoutMs} ms`);
    if (Date.now() - sentAt > 2_000) {
      await producer.send({
        topic: "market.ticks",
        messages: [asMessage(marketTick(token, price))],
      });
      sentAt = Date.now();
    }
    await sleep(50);
  }
}

/** Where one sent message landed. */
export interface Sent {
  partition: number;
  offset: string;
}

/** Sends one message and returns its partition and offset. */
export async function sendOne(
  producer: Producer,
  topic: string,
  message: { key: string | null; value: string | Buffer | null; partition?: number },
): Promise<Sent> {
  const [metadata] = await producer.send({ topic, messages: [message] });
  if (!metadata?.baseOffset) throw new Error(`no offset for the message sent to ${topic}`);
  return { partition: metadata.partition, offset: metadata.baseOffset };
}

/**
 * Waits until a consumer group committed past `sent`: the engine commits a batch only after
 * every effect of it (journal, results, dead letters) is acknowledged.
 */
export async function waitForCommit(
  groupId: string,
  topic: string,
  sent: Sent,
  timeoutMs = 30_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committed = offsets?.partitions.find((p) => p.partition === sent.partition)?.offset;
      if (committed !== undefined && BigInt(committed) > BigInt(sent.offset)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `group ${groupId} did not commit ${topic}[${sent.partition}]@${sent.offset} within ${timeoutMs} ms (at ${committed})`,
        );
      }
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
}

/** The signals consumer group of a running engine. */
export function signalGroupOf(engine: TestEngine): string {
  const { settings } = engine.running;
  return `${settings.groupIdPrefix}.trading_engine${settings.mode === "shadow" ? ".shadow" : ""}`;
}

/** Journal rows of one signal, by namespace. */
export async function executionRows(
  db: TestDatabase,
  signalId: string,
): Promise<
  {
    namespace: string;
    status: string;
    shadow: boolean;
    attempts: number;
    outcome: string | null;
    error_code: string | null;
  }[]
> {
  return db.query(
    `select namespace, status, shadow, attempts, outcome, error_code
       from engine_execution_journal where signal_id = $1 order by namespace`,
    [signalId],
  );
}

/** The signal journal's record of one signal, or undefined. */
export async function signalRow(
  db: TestDatabase,
  signalId: string,
): Promise<{ disposition: string; targets: string[]; detail: string | null } | undefined> {
  const [row] = await db.query<{ disposition: string; targets: string[]; detail: string | null }>(
    "select disposition, targets, detail from engine_signal_journal where signal_id = $1",
    [signalId],
  );
  return row;
}

/** GET on the engine's HTTP port. */
export async function httpGet(
  engine: TestEngine,
  path: string,
): Promise<{ status: number; contentType: string | null; text: string }> {
  const response = await fetch(`http://127.0.0.1:${engine.running.httpPort}${path}`);
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    text: await response.text(),
  };
}

/** Sum of a metric's samples in Prometheus text whose labels include `labels`. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) {
      total += Number(match[3]);
    }
  }
  return total;
}

/** Waits `ms`: only for "nothing happens" checks, never for something expected to happen. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `read` until `check` holds, or fails after `timeoutMs` naming `describe`. */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  describe: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe}`);
    await sleep(100);
  }
}
