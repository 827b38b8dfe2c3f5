// 1. Tick ingest, end to end: a topic pre-filled with full-mode ticks over 2,000 instruments, read
// from its start by the engine (into its price cache) and by a bare kafkajs consumer that only
// parses JSON. Each runs in a process of its own, in turn, on the same topic; the rate counts from
// the first batch to the last tick, so group joins and start-up are left out of both.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fullTickPool } from "@engine/core/testing";
import type { BenchContext } from "../lib/context.ts";
import { EngineProcess, engineEnv } from "../lib/engine-process.ts";
import { createTopics, fill, KAFKA_BROKERS, ownTopics } from "../lib/services.ts";
import { round, sleep } from "../lib/stats.ts";
import { engineTopics } from "../lib/topics.ts";

const BASELINE = fileURLToPath(new URL("../lib/baseline-consumer.ts", import.meta.url));
const INSTRUMENTS = 2_000;

/** A rate measured by one consumer process: a row of `ingest.rounds`. */
type RoundReport = Record<string, number | string | null>;
/** A rate figure of one round (ticks/s). */
interface Rated {
  per_s: number;
}

export async function runIngest(ctx: BenchContext) {
  const count = ctx.ticks ?? (ctx.quick ? 100_000 : 500_000);
  const rounds = ctx.quick ? 1 : 2;
  const topic = `bench.${ctx.runId}.ticks.ingest`;
  await createTopics([topic], 3);
  const pool = fullTickPool(20_000, INSTRUMENTS);
  const bytes = pool.reduce((sum, message) => sum + message.value.length, 0) / pool.length;
  ctx.log(`ingest: filling ${topic} with ${count.toLocaleString()} ticks (${Math.round(bytes)} B)`);
  const fillRate = await fill(topic, pool, count);
  ctx.log(`ingest: filled at ${Math.round(fillRate).toLocaleString()} ticks/s`);

  const baseline: (RoundReport & Rated)[] = [];
  const engine: (RoundReport & Rated)[] = [];
  const noop: (RoundReport & Rated)[] = [];
  for (let r = 0; r < rounds; r += 1) {
    const b = await baselineRound(topic, count, `bench-${ctx.runId}-baseline-${r}`);
    ctx.log(`ingest: bare kafkajs round ${r + 1}: ${Math.round(b.per_s).toLocaleString()} ticks/s`);
    baseline.push(b);
    await sleep(1_000);
    const e = await engineRound(ctx, topic, count, r);
    ctx.log(`ingest: engine round ${r + 1}: ${Math.round(e.per_s).toLocaleString()} ticks/s`);
    engine.push(e);
    await sleep(1_000);
    const z = await baselineRound(topic, count, `bench-${ctx.runId}-noop-${r}`, "none");
    ctx.log(
      `ingest: kafkajs, no work per message, round ${r + 1}: ${Math.round(z.per_s).toLocaleString()} ticks/s`,
    );
    noop.push(z);
    await sleep(1_000);
  }
  const best = (list: Rated[]) => Math.max(...list.map((item) => item.per_s));
  const engineRate = best(engine);
  const baselineRate = best(baseline);
  return {
    tick_ingest_per_s: Math.round(engineRate),
    baseline_kafkajs_per_s: Math.round(baselineRate),
    tick_ingest_ratio_vs_kafkajs: round(engineRate / baselineRate, 3),
    tick_ingest_ratio_vs_no_work: round(engineRate / best(noop), 3),
    ingest: {
      ticks: count,
      instruments: INSTRUMENTS,
      mean_tick_bytes: Math.round(bytes),
      partitions: 3,
      fill_per_s: Math.round(fillRate),
      kafkajs_no_work_per_s: Math.round(best(noop)),
      rounds: { engine, baseline, kafkajs_no_work: noop },
      method:
        "best of the rounds; each rate counts from the first batch seen to the last tick, engine via engine_ticks_total on /metrics polled every 100 ms, between the first and the last poll inside the stream",
    },
  };
}

function baselineRound(
  topic: string,
  count: number,
  group: string,
  work: "parse" | "none" = "parse",
): Promise<RoundReport & Rated> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BASELINE, topic, String(count), group, work], {
      env: { ...process.env, KAFKA_BROKERS },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), Math.max(120_000, count / 2));
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").at(-1);
      if (code !== 0 || !line) reject(new Error(`baseline consumer failed (${code}): ${out}`));
      else resolve(roundAll(JSON.parse(line) as RoundReport & Rated));
    });
  });
}

async function engineRound(ctx: BenchContext, topic: string, count: number, r: number) {
  const namespace = `bench${ctx.runId}i${r}`;
  ownTopics(engineTopics(namespace, topic));
  const engine = await EngineProcess.start({
    name: `ingest-${r + 1}`,
    cpuProfile: ctx.cpuProfile,
    env: engineEnv({
      brokers: KAFKA_BROKERS,
      databaseUrl: ctx.databaseUrl,
      namespace,
      groupPrefix: `bench-${ctx.runId}-ingest-${r}`,
      ticksTopic: topic,
    }),
  });
  try {
    return await tickRate(engine, count);
  } finally {
    await engine.stop();
  }
}

/**
 * The engine's ingest rate, ticks/s, from engine_ticks_total on its /metrics.
 */
async function tickRate(engine: EngineProcess, count: number) {
  // Polled every 100 ms: rendering /metrics costs the engine a millisecond or two of its one
  // thread, so a tighter poll (25 ms, before) takes several per cent of the rate it measures.
  // The rate runs from the first poll that saw ticks to the last one before all were read: both
  // ends mid-stream, so the poll interval does not stretch the time.
  let first: Poll | null = null;
  let last: Poll | null = null;
  const deadline = performance.now() + Math.max(120_000, count / 2);
  for (;;) {
    const seen = await engine.ticks();
    const at = performance.now();
    if (seen >= count) return rateBetween(first, last, { at, seen }, count);
    if (seen > 0 && first === null) first = { at, seen };
    else if (seen > 0) last = { at, seen };
    if (at > deadline) throw new Error(`engine read ${seen} of ${count} ticks in time`);
    await sleep(100);
  }
}

/** The rate from the first poll to the last one inside the stream, else to the final poll. */
/** What one poll of /metrics saw: ticks read by then, and when (`performance.now()`). */
interface Poll {
  at: number;
  seen: number;
}

function rateBetween(first: Poll | null, last: Poll | null, final: Poll, count: number) {
  if (first === null) throw new Error(`the engine read all ${count} ticks before one poll`);
  const end = last !== null && last.at > first.at ? last : final;
  return roundAll({
    count: final.seen,
    first_seen: first.seen,
    polls_used: end === last ? "mid-stream" : "last",
    seconds: (end.at - first.at) / 1000,
    per_s: (end.seen - first.seen) / ((end.at - first.at) / 1000),
  });
}

function roundAll<T extends RoundReport>(report: T): T {
  return Object.fromEntries(
    Object.entries(report).map(([key, value]) => [
      key,
      typeof value === "number" ? round(value, 3) : value,
    ]),
  ) as T;
}
