import { randomBytes } from "node:crypto";
import type { Logger } from "@engine/core";
import type { Consumer, Kafka } from "kafkajs";
import { decodeResult, decodeSignal, type EngineSide } from "./compare-records.js";
import type { DivergenceMetrics } from "./divergence-metrics.js";
import { DivergenceTracker } from "./divergence-tracker.js";
import { type StartPosition, seekOnJoin } from "./seek-on-join.js";

export interface FollowOptions {
  kafka: Kafka;
  signalsTopic: string;
  /** Execution namespaces to follow (their result topics under both prefixes). */
  namespaces: readonly string[];
  oldPrefix: string;
  newPrefix: string;
  /** A signal is judged this long after its `ts`, ms. */
  settleAfterMs: number;
  /** How often settled signals are judged, ms. */
  intervalMs: number;
  metrics: DivergenceMetrics;
  logger: Logger;
}

/**
 * The comparison while both engines run: follows the signals topic and both engines' result
 * topics from now on (a consumer group of its own, nothing committed: a restart starts afresh)
 * and turns every settled signal into metrics. Has `start()` / `stop()`.
 */
export class CompareFollower {
  readonly #o: FollowOptions;
  readonly #tracker: DivergenceTracker;
  readonly #consumer: Consumer;
  readonly #groupId = `engine-compare-follow-${randomBytes(6).toString("hex")}`;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: FollowOptions) {
    this.#o = options;
    this.#tracker = new DivergenceTracker({
      settleAfterMs: options.settleAfterMs,
      countFromMs: Date.now() + options.settleAfterMs,
    });
    this.#consumer = options.kafka.consumer({
      groupId: this.#groupId,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
  }

  async start(): Promise<void> {
    const o = this.#o;
    const sides = new Map<string, { side: EngineSide; namespace: string }>();
    for (const namespace of o.namespaces) {
      for (const kind of ["submitted", "filled", "failed"]) {
        sides.set(`${o.oldPrefix}${namespace}.orders.${kind}`, { side: "old", namespace });
        sides.set(`${o.newPrefix}${namespace}.orders.${kind}`, { side: "new", namespace });
      }
    }
    const admin = o.kafka.admin();
    await admin.connect();
    let topics: string[];
    const starts: StartPosition[] = [];
    try {
      const existing = new Set(await admin.listTopics());
      const wanted = [o.signalsTopic, ...sides.keys()];
      topics = wanted.filter((topic) => existing.has(topic));
      const missing = wanted.filter((topic) => !existing.has(topic));
      if (missing.length > 0) o.logger.warn({ topics: missing }, "topics not found: not followed");
      // From the end as it is now, sought on joining: "latest" is resolved only at the first
      // fetch, and what is produced in between would be missed.
      for (const topic of topics) {
        for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
          starts.push({ topic, partition, offset: high });
        }
      }
    } finally {
      await admin.disconnect();
    }
    const joined = seekOnJoin(this.#consumer, starts);
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics });
    await this.#consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        if (topic === o.signalsTopic) {
          const signal = decodeSignal(message.value);
          if (signal) this.#tracker.addSignal(signal);
          return;
        }
        const where = sides.get(topic);
        const result = where ? decodeResult(message.value, where.side, where.namespace) : null;
        if (result) this.#tracker.addResult(result);
      },
    });
    await joined;
    this.#timer = setInterval(() => this.settle(Date.now()), o.intervalMs);
  }

  /** Judges what has settled by `nowMs` into the metrics; returns how many pairs. */
  settle(nowMs: number): number {
    const round = this.#tracker.settle(nowMs);
    this.#o.metrics.record(round);
    const diverging = round.findings.filter((f) => f.kinds.length > 0).length;
    if (round.findings.length > 0) {
      this.#o.logger.info(
        {
          pairs: round.findings.length,
          diverging,
          unmatched: round.unmatched,
          ...this.#tracker.pending,
        },
        "compared settled signals",
      );
    }
    return round.findings.length;
  }

  /** Stops following and deletes its consumer group (it is of no use to a later run). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#consumer.disconnect();
    const admin = this.#o.kafka.admin();
    await admin.connect();
    await admin
      .deleteGroups([this.#groupId])
      .catch(() => {
        // A group left behind is harmless: no members, and its offsets expire.
      })
      .finally(() => admin.disconnect());
  }
}
