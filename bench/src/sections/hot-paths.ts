// 4. In-process hot paths, no Kafka: tick decoding into the price cache, and signal routing plus
// paper execution through the engine's intake and execution service with its journal on PGlite
// and on PostgreSQL, in batches of 100 with a publish that does nothing.

import {
  type DecodeResult,
  decodeMarketTick,
  ExecutionRouter,
  MarketHoursChecker,
  type MarketQuote,
  silentLogger,
  systemClock,
  TopicMap,
  TraderRegistry,
} from "@engine/core";
// The JSON.parse decoder the scanner replaced, for comparison.
import {
  asKafkaMessage,
  decodeMarketTickParsed,
  fullTickPool,
  instrumentTokens,
  validatedSignalEvent,
} from "@engine/core/testing";
import {
  EngineMetrics,
  ExecutionJournal,
  ExecutionService,
  type InboundMessage,
  InstanceLease,
  MarketData,
  openDatabase,
  PriceCache,
  SignalIntake,
  tickSubscription,
} from "@engine/engine";
import { PaperTrader } from "@engine/trader-paper";
import type { BenchContext } from "../lib/context.ts";
import { createDatabase } from "../lib/services.ts";
import { round } from "../lib/stats.ts";

const INSTRUMENTS = 2_000;
const BATCH = 100;

/** How long a rate is measured for, after how long a warm-up (ms). */
interface Timing {
  warmupMs: number;
  ms: number;
}

/** Calls `step` (which handles `per` items) for `ms` after a warm-up; items per second. */
async function rate(step: () => Promise<unknown>, per: number, { warmupMs, ms }: Timing) {
  const until = async (duration: number) => {
    let items = 0;
    const start = performance.now();
    while (performance.now() - start < duration) {
      await step();
      items += per;
    }
    return items / ((performance.now() - start) / 1000);
  };
  await until(warmupMs);
  globalThis.gc?.();
  return until(ms);
}

/** Synchronous version, for paths that never wait. */
function rateSync(step: () => void, per: number, { warmupMs, ms }: Timing) {
  const until = (duration: number) => {
    let items = 0;
    const start = performance.now();
    while (performance.now() - start < duration) {
      for (let i = 0; i < 10; i += 1) step();
      items += 10 * per;
    }
    return items / ((performance.now() - start) / 1000);
  };
  until(warmupMs);
  globalThis.gc?.();
  return until(ms);
}

export async function runHotPaths(ctx: BenchContext) {
  const timing = ctx.quick ? { warmupMs: 500, ms: 1_500 } : { warmupMs: 1_000, ms: 4_000 };
  const pool = fullTickPool(INSTRUMENTS, INSTRUMENTS, 5).map((message) => message.value);
  const bytes = pool.reduce((sum, value) => sum + value.length, 0) / pool.length;

  // decodeMarketTick and a Map of quotes, as the engine's price cache keeps them; each step is a
  // loop over the whole pool, as the tick handler loops over a batch, so the harness's own call per
  // tick is not counted as decoding.
  const decodeAll = (
    decode: (raw: Uint8Array) => DecodeResult<MarketQuote>,
    prices: PriceCache,
  ) => {
    const readAt = Date.now();
    for (let i = 0; i < pool.length; i += 1) {
      const decoded = decode(pool[i] as Buffer);
      if (decoded.ok) prices.set(decoded.value, readAt);
    }
  };
  const prices = new PriceCache();
  const decodeRate = rateSync(() => decodeAll(decodeMarketTick, prices), pool.length, timing);
  ctx.log(`hot: decodeMarketTick + price cache ${Math.round(decodeRate).toLocaleString()}/s`);

  const parsedPrices = new PriceCache();
  const parsedRate = rateSync(
    () => decodeAll(decodeMarketTickParsed, parsedPrices),
    pool.length,
    timing,
  );
  ctx.log(`hot: JSON.parse decoder + price cache ${Math.round(parsedRate).toLocaleString()}/s`);

  // The engine's tick handler on batches of 500, as the Kafka transport hands them over.
  const handler = tickSubscription({
    prices: new PriceCache(),
    topic: "market.ticks",
    dlqTopic: "market.ticks.dlq",
    clock: systemClock,
    metrics: new EngineMetrics(),
    publish: async () => {},
  });
  const batches = Array.from({ length: 4 }, (_, b) => ({
    topic: "market.ticks",
    partition: 0,
    messages: Array.from({ length: 500 }, (_, i) => ({
      topic: "market.ticks",
      partition: 0,
      offset: String(b * 500 + i),
      key: null,
      value: pool[(b * 500 + i) % pool.length] as Buffer,
      // As kafkajs gives a record's timestamp: ms since the epoch, as text.
      timestamp: String(Date.now()),
    })),
    heartbeat: async () => {},
    isActive: () => true,
  }));
  let batchIndex = 0;
  const handlerRate = await rate(
    () => handler.handle(batches[batchIndex++ % batches.length] as (typeof batches)[number]),
    500,
    timing,
  );
  ctx.log(`hot: tick handler (batches of 500) ${Math.round(handlerRate).toLocaleString()}/s`);

  const pipeline = {} as Record<"pglite" | "postgres", PipelineRate>;
  for (const kind of ["pglite", "postgres"] as const) {
    const url = kind === "postgres" ? await createDatabase(`bench_${ctx.runId}_hot`) : null;
    const result = await pipelineRate(
      url,
      ctx.quick ? { warmupMs: 1_000, ms: 2_000 } : { warmupMs: 2_000, ms: 5_000 },
    );
    pipeline[kind] = result;
    ctx.log(
      `hot: signal pipeline on ${kind} ${Math.round(result.per_s).toLocaleString()} signals/s`,
    );
  }

  return {
    tick_decode_per_s: Math.round(decodeRate),
    hot_paths: {
      mean_tick_bytes: Math.round(bytes),
      instruments: INSTRUMENTS,
      tick_decode_per_s: Math.round(decodeRate),
      tick_decode_json_parse_per_s: Math.round(parsedRate),
      tick_handler_per_s: Math.round(handlerRate),
      signal_pipeline_pglite_per_s: Math.round(pipeline.pglite.per_s),
      signal_pipeline_postgres_per_s: Math.round(pipeline.postgres.per_s),
      signal_pipeline: pipeline,
      batch: BATCH,
    },
  };
}

/** What `pipelineRate` measured. */
interface PipelineRate {
  per_s: number;
  fills: number;
  journal: "postgresql" | "pglite";
}

/** Signals per second through intake and the execution service, journal on `url` (PGlite when null). */
async function pipelineRate(url: string | null, timing: Timing): Promise<PipelineRate> {
  const database = openDatabase(url, silentLogger);
  await database.migrate();
  const clock = systemClock;
  const registry = new TraderRegistry({ logger: silentLogger });
  registry.register(new PaperTrader({ namespace: "paper", clock }));
  await registry.initialize();
  const prices = new PriceCache();
  const tokens = instrumentTokens(200);
  for (const token of tokens) {
    prices.set(
      {
        instrumentToken: token,
        lastPrice: 100,
        bestBid: 99.95,
        bestAsk: 100.05,
        hasDepth: true,
        timestamp: null,
      },
      Date.now(),
    );
  }
  const signalTopic = "bench.signals.validated";
  let filled = 0;
  let other = 0;
  const metrics = new EngineMetrics();
  const journal = new ExecutionJournal(database, { instanceId: "bench", clock });
  const lease = new InstanceLease({ journal, leaseMs: 60_000, logger: silentLogger });
  await lease.start();
  const marketData = new MarketData(prices);
  const executions = new ExecutionService({
    registry,
    journal,
    lease,
    quote: (token) => marketData.quote(token),
    outputTopics: (namespace) => new TopicMap(namespace),
    publish: async (messages) => {
      for (const message of messages) {
        if (message.topic === "paper.orders.filled") filled += 1;
        else other += 1;
      }
    },
    liveNamespaces: new Set(),
    shadow: false,
    executionTimeoutMs: 15_000,
    maxSubmitAttempts: 3,
    orderTtlMs: () => null,
    signalAge: { maxAgeMs: 60_000, clockSkewMs: 2_000, appliesToSimulated: true },
    adoptIntervalMs: 60_000,
    clock,
    logger: silentLogger,
    metrics,
  });
  await executions.start();
  const pipeline = new SignalIntake({
    router: new ExecutionRouter({
      targets: [{ namespace: "paper", live: false, enabled: true, enabledFor: () => true }],
      strategies: { get: async () => null },
      cacheTtlMs: 5_000,
      clock,
      logger: silentLogger,
    }),
    marketHours: new MarketHoursChecker({ mode: "always_open", clock }),
    executions,
    signalTopic,
    dlqTopic: `${signalTopic}.dlq`,
    clock,
    logger: silentLogger,
    metrics,
    publish: async () => {},
  });
  let offset = 0;
  const step = () => {
    const messages: InboundMessage[] = [];
    for (let i = 0; i < BATCH; i += 1) {
      const signal = asKafkaMessage(
        validatedSignalEvent({
          strategyId: `bench-strategy-${offset % 10}`,
          instrumentToken: tokens[offset % tokens.length] as number,
          signalType: offset % 2 === 0 ? "BUY" : "SELL",
          quantity: 1,
          price: 100,
        }),
      );
      messages.push({
        topic: signalTopic,
        partition: 0,
        offset: String(offset),
        key: Buffer.from(signal.key),
        value: Buffer.from(signal.value),
      });
      offset += 1;
    }
    return pipeline.handle({
      topic: signalTopic,
      partition: 0,
      messages,
      heartbeat: async () => {},
      isActive: () => true,
    });
  };
  try {
    const perS = await rate(step, BATCH, timing);
    if (other > 0 || filled === 0)
      throw new Error(`pipeline: ${filled} fills, ${other} other results`);
    return { per_s: round(perS, 1), fills: filled, journal: url ? "postgresql" : "pglite" };
  } finally {
    await executions.stop();
    await lease.stop();
    await registry.shutdown();
    await database.close();
  }
}
