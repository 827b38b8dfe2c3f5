import { randomBytes } from "node:crypto";
import { EngineError } from "@engine/core";
import type { Admin, Kafka } from "kafkajs";
import { seekOnJoin } from "./seek-on-join.js";

/** One record read from a topic. `timestamp`: the record's, ms since the epoch. */
export interface WindowRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: number;
  value: Buffer | null;
}

/** Reading did not reach the window's end in time (the broker is slow or away): retry later. */
export class WindowReadTimeoutError extends EngineError {
  constructor(timeoutMs: number, missing: readonly string[]) {
    super(
      "WINDOW_READ_TIMEOUT",
      `could not read to the end of the window within ${timeoutMs} ms (${missing.join(", ")})`,
      { missing: [...missing] },
      { retryable: true },
    );
  }
}

interface Range {
  topic: string;
  partition: number;
  /** First offset to read. */
  start: bigint;
  /** First offset not to read. */
  end: bigint;
}

/** Per partition: the first offset written at or after `at` (ms), else the end of the partition. */
async function offsetsAt(admin: Admin, topic: string, at: number): Promise<Map<number, bigint>> {
  // kafkajs answers the high watermark where nothing was written at or after `at`.
  const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, at);
  return new Map(offsets.map(({ partition, offset }) => [partition, BigInt(offset)]));
}

/**
 * Reads every record of `topics` whose offset lies between the first written at `fromMs` and the
 * first written at `toMs` (or the end now), with a throw-away consumer group, seeking each
 * partition to its start when it joins, deleted afterwards. Topics that do not exist are skipped and returned in `missing`.
 * @throws WindowReadTimeoutError when the end is not reached within `timeoutMs` (default 60 s)
 */
export async function readTopicWindow(
  kafka: Kafka,
  topics: readonly string[],
  window: { fromMs: number; toMs: number },
  options: { timeoutMs?: number } = {},
): Promise<{ records: WindowRecord[]; missing: string[] }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const groupId = `engine-compare-${randomBytes(6).toString("hex")}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    const missing = topics.filter((topic) => !existing.has(topic));
    const ranges: Range[] = [];
    for (const topic of present) {
      const [starts, ends] = await Promise.all([
        offsetsAt(admin, topic, window.fromMs),
        offsetsAt(admin, topic, window.toMs),
      ]);
      for (const [partition, start] of starts) {
        const end = ends.get(partition) ?? start;
        if (end > start) ranges.push({ topic, partition, start, end });
      }
    }
    if (ranges.length === 0) return { records: [], missing };
    const records = await consumeRanges(kafka, groupId, ranges, timeoutMs);
    return { records, missing };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {
      // A group that lingers is harmless: it has no members and expires with its offsets.
    });
    await admin.disconnect();
  }
}

async function consumeRanges(
  kafka: Kafka,
  groupId: string,
  ranges: readonly Range[],
  timeoutMs: number,
): Promise<WindowRecord[]> {
  const key = (topic: string, partition: number) => `${topic}[${partition}]`;
  // Per partition still to read: the range and the next offset expected (the cursor).
  const pending = new Map(ranges.map((r) => [key(r.topic, r.partition), { ...r, next: r.start }]));
  const records: WindowRecord[] = [];
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))] });
    const seeked = seekOnJoin(
      consumer,
      ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.start.toString() })),
    );
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = pending.get(key(batch.topic, batch.partition));
        // A batch fetched before the seek starts elsewhere: only one continuing the cursor counts.
        if (!range || BigInt(batch.firstOffset() ?? "-1") > range.next) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < range.next || offset >= range.end) continue;
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            timestamp: Number(message.timestamp),
            value: message.value,
          });
        }
        range.next = BigInt(batch.lastOffset()) + 1n;
        if (range.next >= range.end) {
          pending.delete(key(batch.topic, batch.partition));
          if (pending.size === 0) finish();
        }
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([seeked.then(() => done), timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") throw new WindowReadTimeoutError(timeoutMs, [...pending.keys()]);
    return records;
  } finally {
    await consumer.disconnect();
  }
}
