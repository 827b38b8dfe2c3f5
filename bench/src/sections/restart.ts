// 5. Restart to trading: the engine SIGKILLed while signals flow (20/s) and ticks flow (every
// instrument every 100 ms), a new engine process started at once; from the new process's spawn to
// the first result of a signal produced after the kill. The dead instance never leaves its
// consumer group, so the new one waits for the broker to expire its session before it gets the
// partitions; it also reads the recent ticks before it executes a signal.
import {
  asKafkaMessage,
  fullTickFactory,
  instrumentTokens,
  validatedSignalEvent,
} from "@engine/core/testing";
import { Partitioners } from "kafkajs";
import type { BenchContext } from "../lib/context.ts";
import { EngineProcess, engineEnv, freePort } from "../lib/engine-process.ts";
import { parseOrNull } from "../lib/result-consumer.ts";
import { createTopics, KAFKA_BROKERS, kafka, ownTopics } from "../lib/services.ts";
import { round, sleep, summarize, waitFor } from "../lib/stats.ts";
import { engineTopics, PAPER_FAILED, PAPER_FILLED } from "../lib/topics.ts";

const INSTRUMENTS = 30;
const SIGNALS_PER_S = 20;
const TICK_EVERY_MS = 100;

/** One kill and restart: how long until the new process answered a signal sent after the kill. */
interface RoundResult {
  round: number;
  spawn_to_first_result_s: number;
  kill_to_first_result_s: number;
  first_result: "order_filled" | "order_failed";
}

/** A result the client read: when, when its signal was sent (`performance.now()`), which result. */
interface Answer {
  at: number;
  sentAt: number;
  filled: boolean;
}

export async function runRestart(ctx: BenchContext) {
  const rounds = ctx.restarts ?? (ctx.quick ? 2 : 5);
  const namespace = `bench${ctx.runId}r`;
  const signalTopic = `${namespace}.signals.validated`;
  const ticksTopic = `bench.${ctx.runId}.ticks.restart`;
  await createTopics([signalTopic, ticksTopic], 3);
  ownTopics(engineTopics(namespace, ticksTopic));
  const env = engineEnv({
    brokers: KAFKA_BROKERS,
    databaseUrl: ctx.databaseUrl,
    namespace,
    groupPrefix: `bench-${ctx.runId}-restart`,
    ticksTopic,
    // As deployed: a starting instance reads the recent ticks, not the whole topic.
    extra: { KAFKA_TICKS_FROM_BEGINNING: "false" },
  });

  const client = kafka("engine-bench-restart");
  const producer = client.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  const consumer = client.consumer({
    groupId: `bench-${ctx.runId}-restart-client`,
    maxWaitTimeInMs: 50,
  });
  await producer.connect();
  await consumer.connect();
  /** signal id -> when it was handed to the producer (performance.now()) */
  const sentAt = new Map<string, number>();
  /** Results as they come: { at, sentAt } of the signal answered. */
  const answered: Answer[] = [];
  await consumer.subscribe({ topics: [PAPER_FILLED, PAPER_FAILED], fromBeginning: false });
  const joined = new Promise<void>((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      resolve();
    });
  });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const message of batch.messages) {
        const causationId = parseOrNull(message.value)?.causation_id;
        const sent = causationId ? sentAt.get(causationId) : undefined;
        if (!causationId || sent === undefined) continue;
        sentAt.delete(causationId);
        answered.push({ at, sentAt: sent, filled: batch.topic === PAPER_FILLED });
      }
    },
  });
  await joined;

  const tokens = instrumentTokens(INSTRUMENTS);
  const tick = fullTickFactory(21);
  let running = true;
  const ticker = (async () => {
    while (running) {
      const messages = tokens.map((token) => ({ key: String(token), value: tick(token) }));
      producer.send({ topic: ticksTopic, acks: 1, messages }).catch(() => {});
      await sleep(TICK_EVERY_MS);
    }
  })();
  let counter = 0;
  const generator = (async () => {
    while (running) {
      counter += 1;
      const signal = validatedSignalEvent({
        strategyId: `bench-restart-${counter % 5}`,
        instrumentToken: tokens[counter % tokens.length] as number,
        signalType: counter % 2 === 0 ? "BUY" : "SELL",
        quantity: 1,
        price: 100,
      });
      sentAt.set(signal.id, performance.now());
      producer
        .send({
          topic: signalTopic,
          acks: -1,
          messages: [asKafkaMessage(signal)],
        })
        .catch(() => {});
      await sleep(1000 / SIGNALS_PER_S);
    }
  })();

  const measured: RoundResult[] = [];
  let engine: EngineProcess | null = null;
  try {
    engine = await EngineProcess.start({ name: "restart-0", env });
    for (let r = 1; r <= rounds; r += 1) {
      // Trading: a signal sent from now on is answered.
      const since = performance.now();
      await waitFor(() => answered.some((a) => a.sentAt >= since), {
        timeoutMs: 60_000,
        what: "the engine answering signals before the kill",
      });
      await sleep(1_000);
      engine.child.kill("SIGKILL");
      await engine.exited;
      const killedAt = performance.now();
      const port = await freePort();
      const spawnedAt = performance.now();
      engine = new EngineProcess({ name: `restart-${r}`, env, port });
      const first = await waitFor(() => answered.find((a) => a.sentAt >= killedAt), {
        timeoutMs: 120_000,
        everyMs: 20,
        what: `a result for a signal produced after kill ${r}`,
      });
      const round_: RoundResult = {
        round: r,
        spawn_to_first_result_s: round((first.at - spawnedAt) / 1000, 2),
        kill_to_first_result_s: round((first.at - killedAt) / 1000, 2),
        first_result: first.filled ? "order_filled" : "order_failed",
      };
      measured.push(round_);
      ctx.log(
        `restart ${r}/${rounds}: first result ${round_.spawn_to_first_result_s} s after the new process started (${round_.kill_to_first_result_s} s after the kill; ${round_.first_result})`,
      );
      await engine.waitReady();
    }
  } finally {
    running = false;
    await Promise.all([ticker, generator]);
    await engine?.stop();
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
  }
  const spawn = summarize(measured.map((m) => m.spawn_to_first_result_s * 1000));
  // A missing percentile (no round measured) counts as 0, as the figures always have.
  const seconds = (ms: number | null) => round((ms ?? 0) / 1000, 2);
  return {
    restart_to_trading_s: seconds(spawn.p50),
    restart: {
      rounds: measured,
      spawn_to_first_result_s: {
        median: seconds(spawn.p50),
        max: seconds(spawn.max),
      },
      signals_per_s: SIGNALS_PER_S,
      tick_every_ms: TICK_EVERY_MS,
      instruments: INSTRUMENTS,
      method:
        "SIGKILL with signals and ticks flowing, a new process spawned at once; from its spawn to the first result (order_filled or order_failed) of a signal produced after the kill",
    },
  };
}
