// 5. Memory: the engine's resident set under steady ticks (2,000 a second, every instrument once a
// second) and signals (100 a second), sampled every 10 s. The soak starts after a warm-up, so
// what it measures is growth in steady state (a leak), not the first minute's JIT and buffers.

import { fullTickFactory, instrumentTokens } from "@engine/core/testing";
import { Partitioners } from "kafkajs";
import type { BenchContext } from "../lib/context.ts";
import { kafka } from "../lib/services.ts";
import { round, sleep, summarize } from "../lib/stats.ts";
import { engineCounters, SignalRig } from "./latency.ts";

const TICK_INSTRUMENTS = 2_000;
const TICKS_PER_S = 2_000;
const SIGNALS_PER_S = 100;

/** One RSS reading of the engine: seconds into the run, MB, and the phase it was taken in. */
interface RssSample {
  t_s: number;
  rss_mb: number;
  phase: string;
}

export async function runMemory(ctx: BenchContext) {
  const soakMinutes = ctx.soakMinutes;
  // The first ~100 s under load, V8 grows the heap, then trims it: measured from a 120 s warm-up.
  const warmupSeconds = ctx.quick ? 20 : 120;
  const rig = await SignalRig.start(ctx, {
    name: "memory",
    namespace: `bench${ctx.runId}m`,
    ticksTopic: `bench.${ctx.runId}.ticks.memory`,
  });
  const rssReady = rig.engine.rssMb();
  const producer = kafka("engine-bench-ticker").producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const tick = fullTickFactory(11);
  const tokens = instrumentTokens(TICK_INSTRUMENTS);
  let ticking = true;
  let ticksSent = 0;
  // Ticks: every 50 ms, a twentieth of the instruments.
  const ticker = (async () => {
    const start = performance.now();
    let slot = 0;
    while (ticking) {
      const chunk = TICK_INSTRUMENTS / 20;
      const from = (slot % 20) * chunk;
      const messages = tokens
        .slice(from, from + chunk)
        .map((token) => ({ key: String(token), value: tick(token) }));
      producer.send({ topic: rig.ticksTopic, acks: 1, messages }).catch(() => {});
      ticksSent += messages.length;
      slot += 1;
      const next = start + slot * 50;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();

  const samples: RssSample[] = [];
  const sample = (phase: string) => {
    const at = performance.now();
    samples.push({
      t_s: round((at - startedAt) / 1000, 1),
      rss_mb: round(rig.engine.rssMb(), 1),
      phase,
    });
  };
  const startedAt = performance.now();
  const sampler = setInterval(() => sample("load"), 10_000);
  try {
    ctx.log(`memory: warm-up ${warmupSeconds} s (RSS at ready ${round(rssReady, 1)} MB)`);
    await rig.phase("memory warm-up", SIGNALS_PER_S, warmupSeconds, { drainMs: 5_000 });
    const rssStart = rig.engine.rssMb();
    sample("soak start");
    ctx.log(`memory: soak ${soakMinutes} min from ${round(rssStart, 1)} MB`);
    const soak = await rig.phase("memory soak", SIGNALS_PER_S, soakMinutes * 60, {
      drainMs: 5_000,
    });
    const rssEnd = rig.engine.rssMb();
    sample("soak end");
    clearInterval(sampler);
    const soakSamples = samples.filter(
      (s) => s.t_s >= (samples.find((x) => x.phase === "soak start")?.t_s ?? 0),
    );
    const growth = ((rssEnd - rssStart) / rssStart) * 100;
    ctx.log(`memory: RSS ${round(rssStart, 1)} -> ${round(rssEnd, 1)} MB (${round(growth, 1)} %)`);
    const counters = await engineCounters(rig.engine);
    return {
      rss_mb_start: round(rssStart, 1),
      rss_mb_end: round(rssEnd, 1),
      memory: {
        rss_mb_ready: round(rssReady, 1),
        rss_growth_pct: round(growth, 2),
        rss_mb_max: Math.max(...soakSamples.map((s) => s.rss_mb)),
        rss_mb_min: Math.min(...soakSamples.map((s) => s.rss_mb)),
        slope_mb_per_min: round(slope(soakSamples), 3),
        warmup_s: warmupSeconds,
        soak_minutes: soakMinutes,
        ticks_per_s: TICKS_PER_S,
        signals_per_s: SIGNALS_PER_S,
        ticks_sent: ticksSent,
        engine: counters,
        soak_signals: {
          sent: soak.sent,
          filled: soak.filled,
          failed: soak.failed,
          missing: soak.missing,
        },
        soak_latency_ms: summarize(soak.latencies),
        samples,
        definition:
          "rss_mb_start is taken after the warm-up under load, rss_mb_end after the soak; rss_mb_ready is the idle engine before any load",
      },
    };
  } finally {
    clearInterval(sampler);
    ticking = false;
    await ticker;
    await producer.disconnect().catch(() => {});
    await rig.stop();
  }
}

/** Least-squares slope of RSS over time, MB per minute. */
function slope(samples: RssSample[]) {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((s) => s.t_s / 60);
  const ys = samples.map((s) => s.rss_mb);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx ** 2;
  }
  return den === 0 ? 0 : num / den;
}
