import { type Admin, Partitioners, type Producer } from "kafkajs";
import { topicOffsets, uniqueName } from "./kafka.js";
import { asMessage, marketTick, validatedSignal } from "./messages.js";

export type SignalEvent = ReturnType<typeof validatedSignal>;

/** The partition the platform's producers (and the engine) put a key on. */
export function partitionOf(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  return partitioner({
    topic: "any",
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    })),
    message: { key, value: null },
  });
}

/**
 * Instrument tokens whose keys `strategyId:token` cover every partition `perPartition` times, so
 * a stream of signals over them gives each partition work.
 */
export function tokensCoveringPartitions(
  strategyId: string,
  partitions: number,
  perPartition: number,
  firstToken = 100_000 + Math.floor(Math.random() * 800_000),
): number[] {
  const counts = new Array<number>(partitions).fill(0);
  const tokens: number[] = [];
  for (let token = firstToken; tokens.length < partitions * perPartition; token++) {
    const partition = partitionOf(`${strategyId}:${token}`, partitions);
    if ((counts[partition] ?? 0) >= perPartition) continue;
    counts[partition] = (counts[partition] ?? 0) + 1;
    tokens.push(token);
  }
  return tokens;
}

/**
 * Strategy ids, one per prefix (made unique by `uniqueName`), whose keys `strategyId:token` over
 * `tokens` cover every partition together, so signals of theirs give every instance of a group
 * work.
 */
export function strategiesCoveringPartitions(
  prefixes: readonly string[],
  tokens: readonly number[],
  partitions = 3,
): string[] {
  for (;;) {
    const ids = prefixes.map((prefix) => uniqueName(prefix));
    const covered = new Set(
      ids.flatMap((id) => tokens.map((token) => partitionOf(`${id}:${token}`, partitions))),
    );
    if (covered.size >= partitions) return ids;
  }
}

/**
 * `count` BUY/SELL signals of a strategy, round-robin over the tokens, in production order; their
 * ids in that order, and by Kafka key.
 */
export function signalSeries(
  strategyId: string,
  tokens: readonly number[],
  count: number,
): { signals: SignalEvent[]; ids: string[]; byKey: Map<string, string[]> } {
  const signals: SignalEvent[] = [];
  const byKey = new Map<string, string[]>();
  for (let i = 0; i < count; i++) {
    const token = tokens[i % tokens.length] ?? 0;
    const signal = validatedSignal({
      strategyId,
      instrumentToken: token,
      signalType: i % 2 === 0 ? "BUY" : "SELL",
      quantity: 1 + (i % 9),
    });
    signals.push(signal);
    const list = byKey.get(signal.key);
    if (list) list.push(signal.id);
    else byKey.set(signal.key, [signal.id]);
  }
  return { signals, ids: signals.map((signal) => signal.id), byKey };
}

/**
 * Sends signals in small chunks spread over about `durationMs`, each chunk acknowledged before
 * the next, so the order within a key is the production order. `onSent` sees the running count.
 */
export async function produceStream(
  producer: Producer,
  topic: string,
  signals: readonly SignalEvent[],
  options: { durationMs: number; chunk?: number; onSent?: (sent: number) => void },
): Promise<void> {
  const chunk = options.chunk ?? 10;
  const chunks = Math.ceil(signals.length / chunk);
  const pause = chunks > 1 ? options.durationMs / chunks : 0;
  const startedAt = Date.now();
  for (let i = 0; i < chunks; i++) {
    const slice = signals.slice(i * chunk, (i + 1) * chunk);
    await producer.send({ topic, acks: -1, messages: slice.map(asMessage) });
    options.onSent?.(Math.min(signals.length, (i + 1) * chunk));
    const wait = startedAt + (i + 1) * pause - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Signals being sent by `produceStream`: how many are out so far, and the end of it. */
export interface SignalStream {
  readonly sent: number;
  readonly done: Promise<void>;
}

/** Starts `produceStream` and returns at once; `sent` follows it. */
export function startStream(
  producer: Producer,
  topic: string,
  signals: readonly SignalEvent[],
  options: { durationMs: number; chunk?: number },
): SignalStream {
  let sent = 0;
  const done = produceStream(producer, topic, signals, {
    ...options,
    onSent: (count) => {
      sent = count;
    },
  });
  return {
    get sent() {
      return sent;
    },
    done,
  };
}

/** Sends signals as the risk manager does, acknowledged by every replica. */
export async function sendSignals(
  producer: Producer,
  topic: string,
  signals: readonly SignalEvent[],
): Promise<void> {
  await producer.send({ topic, acks: -1, messages: signals.map(asMessage) });
}

/** A tick per token, so paper can fill (a fresh engine knows no price). */
export async function sendTicks(producer: Producer, tokens: readonly number[]): Promise<void> {
  await producer.send({
    topic: "market.ticks",
    messages: tokens.map((token, i) => asMessage(marketTick(token, 1000 + i))),
  });
}

/** Creates a topic with this many partitions unless it exists. */
export async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  const existing = await admin.listTopics();
  if (existing.includes(topic)) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions }],
  });
}

/**
 * Creates the topic and commits the group's offsets at its beginning before any engine joins.
 * The engine's consumer starts a partition without a committed offset at its latest offset,
 * resolved only at its first fetch, a little after it reports ready: a signal produced in between
 * would be skipped. With offsets committed, where it starts does not depend on timing.
 */
export async function prepareSignalTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  groupId: string,
): Promise<void> {
  await ensureTopic(admin, topic, partitions);
  const starts = await topicOffsets(admin, topic);
  await admin.setOffsets({
    groupId,
    topic,
    partitions: starts.map(({ partition, low }) => ({ partition, offset: low })),
  });
}

/** Per partition of `topic`: the group's committed offset and the end (high watermark). */
export async function committedAndEnd(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<{ partition: number; committed: string; end: string }[]> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await topicOffsets(admin, topic);
  return ends
    .map(({ partition, high }) => ({
      partition,
      end: high,
      committed: committed?.partitions.find((p) => p.partition === partition)?.offset ?? "none",
    }))
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Waits until `groupId` committed every message of `topic`: what it consumed is handled, and
 * no late result or copy of one can still come.
 */
export async function waitForAllCommitted(
  admin: Admin,
  groupId: string,
  topic: string,
  timeoutMs: number,
): Promise<void> {
  await eventually(
    async () => (await committedAndEnd(admin, groupId, topic)).every((p) => p.committed === p.end),
    timeoutMs,
    async () =>
      `committed = end offsets: ${JSON.stringify(await committedAndEnd(admin, groupId, topic))}`,
  );
}

/** The state of a consumer group and how many members it has. */
export async function groupState(
  admin: Admin,
  groupId: string,
): Promise<{ state: string; members: number }> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  return { state: group?.state ?? "Unknown", members: group?.members.length ?? 0 };
}

/** Waits until `check` holds, polling; fails with `describe()` after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: () => string | Promise<string>,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
