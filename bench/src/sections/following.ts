// 3. Following open orders (issue 11): the engine as deployed, its zerodha namespace on a Kite
// emulator in this process, 1,000 orders held open at the "broker". Setup (not measured): the
// orders are placed, with the order rate limits raised so it goes fast. Measured: orders released
// a few at a time at random moments; for each, the time from its release at the emulator to the
// moment a client consumer reads its `order_filled`, and the Kite reads (order book, trades,
// per-order history) the engine spent following, per second. Goal: p99 within 2 s while following
// uses at most 2 requests per second of Kite's budget.

import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  asKafkaMessage,
  fullTickFactory,
  seededRandom,
  validatedSignalEvent,
} from "@engine/core/testing";
import { KiteEmulator } from "@engine/kite-emulator";
import {
  type Admin,
  type Consumer,
  type Kafka,
  type KafkaMessage,
  type Message,
  Partitioners,
  type Producer,
} from "kafkajs";
import pg from "pg";
import type { BenchContext } from "../lib/context.ts";
import { EngineProcess, engineEnv } from "../lib/engine-process.ts";
import { histogramDelta, metricValue } from "../lib/prometheus.ts";
import { consumeResults, parseOrNull } from "../lib/result-consumer.ts";
import {
  createDatabase,
  createTopics,
  fill,
  KAFKA_BROKERS,
  kafka,
  ownTopics,
} from "../lib/services.ts";
import { peakInAnySecond, round, sleep, summarize, waitFor } from "../lib/stats.ts";
import { engineTopics } from "../lib/topics.ts";

/** Issue 11's goal for following 1,000 open orders. */
export const FOLLOWING_GOALS = { fillSeenP99Ms: 2_000, readsPerSecond: 2 };

const OPEN_ORDERS = 1_000;
/** Orders released at once after the measured phase: a round with many fills (not a goal). */
const BURST = 100;
/** Orders placed first, to time a follow round with few open orders before all are. */
const FIRST_ORDERS = 100;
const STRATEGY_ID = "bench-follow";
const NAMESPACE = "zerodha";
const ZERODHA_TOPICS = {
  placed: "zerodha.orders.submitted",
  filled: "zerodha.orders.filled",
  failed: "zerodha.orders.failed",
};
/** Every read a trader can make to follow orders; order writes (place, cancel) are not following. */
export const FOLLOWING_ROUTES = [
  "GET /orders",
  "GET /trades",
  "GET /orders/:order_id",
  "GET /orders/:order_id/trades",
];
const API_KEY = "bench_follow_key";
// A made-up token the in-process emulator accepts; no real Kite session is involved.
const ACCESS_TOKEN = "bench_follow_token";

export async function runFollowing(ctx: BenchContext) {
  const rig = new FollowingRig(ctx);
  try {
    await rig.start();
    ctx.log(`following: setup: placing ${OPEN_ORDERS} orders held open at the Kite emulator`);
    const setup = await rig.placeOpenOrders();
    const seconds = ctx.quick ? 30 : 60;
    ctx.log(`following: releasing orders at random moments for ${seconds} s`);
    const measured = await rig.releasePhase(seconds);
    ctx.log(`following: releasing ${BURST} orders at once`);
    const burst = await rig.releaseBurst(BURST);
    const peak = rig.emulator.maxRequestsInAnySecond(FOLLOWING_ROUTES);
    const book = await rig.timeOrderBook();
    return rig.results({ setup, measured, burst, peak, book });
  } finally {
    await rig.stop();
  }
}

/** An order the engine placed for one of this run's signals. */
interface FollowedOrder {
  signalId: string;
  /** When the emulator released it (`performance.now()`), null while held. */
  releasedAt: number | null;
  /** When the client read its `order_filled` (`performance.now()`), null before. */
  seenAt: number | null;
}

/** What following cost over a window: the engine's rounds and the Kite reads they made. */
interface FollowingWindow {
  rounds: number;
  round_mean_ms: number | null;
  reads: number;
  reads_by_route: Record<string, number>;
  reads_peak_per_s: number;
  reads_mean_per_s: number;
  reads_per_round: number | null;
  other_requests: number;
  window_s: number;
}

/** Release-to-fill-seen of some orders: counts and percentiles (ms). */
interface SeenOf {
  released: number;
  seen: number;
  missing: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

type Setup = Awaited<ReturnType<FollowingRig["placeOpenOrders"]>>;
type Measured = Awaited<ReturnType<FollowingRig["releasePhase"]>>;
type Burst = Awaited<ReturnType<FollowingRig["releaseBurst"]>>;
type Book = Awaited<ReturnType<FollowingRig["timeOrderBook"]>>;

class FollowingRig {
  readonly ctx: BenchContext;
  readonly namespace: string;
  readonly groupPrefix: string;
  readonly ticksTopic: string;
  readonly random: () => number;
  /** signal id -> its order, once placed */
  readonly signals = new Map<string, { orderId: string | null }>();
  /** order id -> its signal, when it was released and when its fill was seen */
  readonly orders = new Map<string, FollowedOrder>();
  placed = 0;
  readonly failed: { order_id: string | undefined; error_code: string | undefined }[] = [];
  filledUnreleased = 0;
  duplicateFills = 0;
  /** Orders still held at the emulator after the measured phase. */
  candidates: string[] = [];
  tokens: number[] = [];
  databaseUrl = "";
  // Set by start(); the rig is used only after it.
  emulator!: KiteEmulator;
  engine!: EngineProcess;
  client!: Kafka;
  admin: Admin | undefined;
  producer: Producer | undefined;
  consumer: Consumer | undefined;

  constructor(ctx: BenchContext) {
    this.ctx = ctx;
    this.namespace = `bench${ctx.runId}f`;
    this.groupPrefix = `bench-${ctx.runId}-${this.namespace}`;
    this.ticksTopic = `bench.${ctx.runId}.ticks.following`;
    this.random = seededRandom(11);
  }

  async start(): Promise<void> {
    const ctx = this.ctx;
    this.databaseUrl = await createDatabase(`bench_${ctx.runId}_following`);
    this.emulator = new KiteEmulator({
      apiKey: API_KEY,
      accessToken: ACCESS_TOKEN,
      syntheticInstruments: OPEN_ORDERS,
      availableMargin: 1e10,
      // Setup only: placing 1,000 orders at Kite's 10/s would take minutes. The measured phase
      // sends no order writes, so these limits play no part in it.
      ordersPerSecond: 0,
      ordersPerMinute: 0,
      // Every request of the run, so the measured phase's can be picked by arrival time.
      requestLogLimit: 100_000,
    });
    await this.emulator.start();
    this.emulator.setFills({ hold: true });
    this.tokens = Array.from({ length: OPEN_ORDERS }, (_, i) => 900_000_000 + i);

    // Paper trades the same signals beside zerodha: give it a price for each instrument.
    const signalTopic = `${this.namespace}.signals.validated`;
    await createTopics([this.ticksTopic, signalTopic], 3);
    ownTopics(engineTopics(this.namespace, this.ticksTopic));
    const tick = fullTickFactory(5);
    await fill(
      this.ticksTopic,
      this.tokens.map((token) => ({ key: String(token), value: tick(token) })),
      this.tokens.length,
    );
    this.client = kafka("engine-bench-following");
    const admin = this.client.admin();
    this.admin = admin;
    await admin.connect();
    // The engine's signal consumer starts at the latest offset of its first fetch: commit its
    // group at the topic's start so no signal sent before that fetch is skipped.
    await this.#commitAt(`${this.groupPrefix}.trading_engine`, signalTopic, "low");

    this.engine = await EngineProcess.start({
      name: "following",
      cpuProfile: ctx.cpuProfile,
      env: engineEnv({
        brokers: KAFKA_BROKERS,
        databaseUrl: this.databaseUrl,
        namespace: this.namespace,
        groupPrefix: this.groupPrefix,
        ticksTopic: this.ticksTopic,
        extra: this.#zerodhaVariables(),
      }),
    });
    await waitFor(async () => (await this.engine.ticks()) >= this.tokens.length, {
      timeoutMs: 60_000,
      what: "engine priced every instrument",
    });
    await this.#enableStrategy();
    await this.#connectClient();
  }

  /**
   * The zerodha namespace on the emulator, as the engine's integration tests set it
   * (`zerodhaVariables`), with the following settings at their defaults
   * (`ZERODHA_STATUS_POLL_MS` 1,000, `ZERODHA_REQUESTS_PER_SECOND` 10), and order rate limits
   * raised for the setup.
   */
  #zerodhaVariables(): Record<string, string> {
    return {
      ZERODHA_ENABLED: "true",
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      KITE_API_ROOT: this.emulator.url,
      KITE_TIMEOUT_MS: "3000",
      ZERODHA_ORDER_VISIBILITY_MS: "2000",
      ZERODHA_ORDERS_PER_SECOND: "1000",
      ZERODHA_ORDERS_PER_MINUTE: "60000",
      // The setup's signals wait in line behind each other: none may go stale meanwhile.
      SIGNAL_MAX_AGE_MS: "3600000",
      STRATEGY_CONFIG_TTL_MS: "500",
    };
  }

  /** Commits `groupId` on every partition of `topic` at its start ("low") or end ("high"). */
  async #commitAt(groupId: string, topic: string, which: "low" | "high") {
    const admin = this.admin;
    if (!admin) throw new Error("the rig is not started");
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: offsets.map((p) => ({ partition: p.partition, offset: p[which] })),
    });
  }

  /** The strategy row the platform writes, with zerodha trading on (the engine made the table). */
  async #enableStrategy() {
    const sql = new pg.Client({ connectionString: this.databaseUrl });
    await sql.connect();
    try {
      await sql.query(
        `insert into strategy_configurations (id, strategy_type, instruments, parameters, is_active, zerodha_trading_enabled, updated_at)
         values ($1, 'bench', '[]', '{}', true, true, now())
         on conflict (id) do update set is_active = true, zerodha_trading_enabled = true, updated_at = now()`,
        [STRATEGY_ID],
      );
    } finally {
      await sql.end();
    }
  }

  /**
   * A client reading zerodha's results. The topics are shared with every engine on the broker:
   * this run's results are told apart by their causation id (a signal of this run) and order id.
   * Its group is committed at the topics' ends first, so it reads from there without a race.
   */
  async #connectClient() {
    const group = `bench-${this.ctx.runId}-following-client`;
    const topics = Object.values(ZERODHA_TOPICS);
    for (const topic of topics) await this.#commitAt(group, topic, "high");
    this.producer = this.client.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await this.producer.connect();
    const consumer = this.client.consumer({ groupId: group, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    await consumer.connect();
    await consumeResults(consumer, topics, (topic, message, now) =>
      this.#onResult(topic, message, now),
    );
  }

  #onResult(topic: string, message: KafkaMessage, now: number) {
    const event = parseOrNull(message.value);
    const signalId = event?.causation_id;
    const signal = signalId ? this.signals.get(signalId) : undefined;
    if (!event || !signalId || !signal) return;
    const orderId = event.data?.order_id;
    if (topic === ZERODHA_TOPICS.placed) {
      if (signal.orderId !== null || orderId === undefined) return;
      signal.orderId = orderId;
      this.orders.set(orderId, { signalId, releasedAt: null, seenAt: null });
      this.placed += 1;
    } else if (topic === ZERODHA_TOPICS.failed) {
      this.failed.push({ order_id: orderId, error_code: event.data?.error_code });
    } else {
      this.#onFill(orderId, now);
    }
  }

  /** An `order_filled`: the first for a released order times it; any other is counted apart. */
  #onFill(orderId: string | undefined, now: number) {
    const order = orderId === undefined ? undefined : this.orders.get(orderId);
    if (!order || order.releasedAt === null) this.filledUnreleased += 1;
    else if (order.seenAt !== null) this.duplicateFills += 1;
    else order.seenAt = now;
  }

  /**
   * Setup: the orders placed and held open, first a few, then the rest; after each, a few idle
   * seconds with nothing changing time the follow round at that many open orders.
   */
  async placeOpenOrders() {
    const started = performance.now();
    await this.#placeUpTo(FIRST_ORDERS);
    const idleFew = await this.#idle(this.ctx.quick ? 3 : 5);
    await this.#placeUpTo(OPEN_ORDERS);
    const placedInS = (performance.now() - started) / 1000;
    const held = this.emulator.stats().ordersHeld;
    this.ctx.log(
      `following: ${this.placed} orders placed (${held} held open at the emulator) in ${placedInS.toFixed(1)} s`,
    );
    if (held < OPEN_ORDERS) {
      throw new Error(`only ${held} of ${OPEN_ORDERS} orders are held open at the emulator`);
    }
    const idleAll = await this.#idle(this.ctx.quick ? 5 : 10);
    return { placed_in_s: round(placedInS, 1), idle: [idleFew, idleAll] };
  }

  /** Sends signals until `target` of them exist, and waits for all their order_placed. */
  async #placeUpTo(target: number) {
    const producer = this.producer;
    if (!producer) throw new Error("the rig is not started");
    const topic = `${this.namespace}.signals.validated`;
    const from = this.signals.size;
    for (let start = from; start < target; start += 100) {
      const messages: Message[] = [];
      for (let i = start; i < Math.min(target, start + 100); i += 1) {
        const signal = validatedSignalEvent({
          strategyId: STRATEGY_ID,
          instrumentToken: this.tokens[i] as number,
          signalType: i % 2 === 0 ? "BUY" : "SELL",
          quantity: 1,
          price: 100 + ((i * 37) % 4900),
        });
        this.signals.set(signal.id, { orderId: null });
        messages.push(asKafkaMessage(signal));
      }
      await producer.send({ topic, acks: -1, messages });
    }
    await waitFor(() => this.placed >= target || this.failed.length > 0, {
      timeoutMs: 180_000,
      everyMs: 100,
      what: `${target} order_placed on ${ZERODHA_TOPICS.placed}`,
    });
    if (this.failed.length > 0) {
      throw new Error(
        `${this.failed.length} orders failed during the setup (first: ${JSON.stringify(this.failed[0])}); see ${this.engine.log}`,
      );
    }
  }

  /** Nothing changes for `seconds`: what one follow round costs with the open orders as they are. */
  async #idle(seconds: number) {
    const window = await this.#window(() => sleep(seconds * 1000));
    const result = { open_orders: window.openOrders, seconds, ...window.following };
    this.ctx.log(
      `following: idle ${seconds} s with ${result.open_orders} open: ${result.rounds} rounds, mean ${result.round_mean_ms} ms; ${result.reads} Kite reads (peak ${result.reads_peak_per_s}/s)`,
    );
    return result;
  }

  /**
   * Runs `work`, then reads what following cost meanwhile: the engine's rounds
   * (`engine_follow_round_seconds`) and the Kite reads that arrived at the emulator.
   */
  async #window<T>(
    work: () => Promise<T>,
  ): Promise<{ outcome: T; openOrders: number; following: FollowingWindow }> {
    const before = await this.engine.samples();
    const fromWall = Date.now();
    const outcome = await work();
    const toWall = Date.now();
    const after = await this.engine.samples();
    const requests = this.emulator.requests().filter((request) => {
      const at = Date.parse(request.at);
      return at >= fromWall && at <= toWall;
    });
    const reads = requests.filter((r) => FOLLOWING_ROUTES.includes(`${r.method} ${r.route}`));
    const byRoute: Record<string, number> = {};
    for (const r of reads)
      byRoute[`${r.method} ${r.route}`] = (byRoute[`${r.method} ${r.route}`] ?? 0) + 1;
    const rounds = histogramDelta(before, after, "engine_follow_round_seconds", {
      namespace: NAMESPACE,
    });
    const seconds = (toWall - fromWall) / 1000;
    return {
      outcome,
      openOrders: metricValue(after, "engine_open_executions", { namespace: NAMESPACE }),
      following: {
        rounds: rounds.count,
        round_mean_ms: rounds.mean_ms,
        reads: reads.length,
        reads_by_route: byRoute,
        reads_peak_per_s: peakInAnySecond(reads.map((r) => Date.parse(r.at))),
        reads_mean_per_s: round(reads.length / seconds, 2),
        reads_per_round: rounds.count > 0 ? round(reads.length / rounds.count, 2) : null,
        other_requests: requests.length - reads.length,
        window_s: round(seconds, 1),
      },
    };
  }

  /**
   * The measured phase: over `seconds`, bursts of 1 to 4 orders released at random moments
   * (about 3 a second in all), then up to 15 s for the last fills to be seen.
   */
  async releasePhase(seconds: number) {
    const total = Math.round(seconds * 3.3);
    const bursts: { at: number; size: number }[] = [];
    for (let left = total; left > 0; ) {
      const size = Math.min(left, 1 + Math.floor(this.random() * 4));
      bursts.push({ at: this.random() * seconds * 1000, size });
      left -= size;
    }
    bursts.sort((a, b) => a.at - b.at);
    const candidates = [...this.orders.keys()];
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const openBefore = metricValue(await this.engine.samples(), "engine_open_executions", {
      namespace: NAMESPACE,
    });
    const released: string[] = [];
    const window = await this.#window(async () => {
      delay.enable();
      const start = performance.now();
      for (const burst of bursts) {
        await sleep(Math.max(0, start + burst.at - performance.now()));
        const ids: string[] = [];
        for (let k = 0; k < burst.size; k += 1) {
          const pick = Math.floor(this.random() * candidates.length);
          ids.push(candidates[pick] as string);
          candidates[pick] = candidates[candidates.length - 1] as string;
          candidates.pop();
        }
        released.push(...this.#release(ids));
      }
      await sleep(Math.max(0, start + seconds * 1000 - performance.now()));
      await this.#awaitSeen(released, 15_000);
      delay.disable();
    });
    this.candidates = candidates;
    return {
      fill_seen_ms: this.#seenOf(released),
      seconds,
      open_orders_before: openBefore,
      open_orders_after: window.openOrders,
      released: released.length,
      bursts: bursts.length,
      following: window.following,
      bench_event_loop_delay_ms: {
        p99: round(delay.percentile(99) / 1e6, 1),
        max: round(delay.max / 1e6, 1),
      },
    };
  }

  /** Releases held orders now; the ids released, their release time noted. */
  #release(ids: string[]): string[] {
    const at = performance.now();
    const released = this.emulator.releaseOrders(ids);
    for (const id of released) {
      const order = this.orders.get(id);
      if (order) order.releasedAt = at;
    }
    return released;
  }

  async #awaitSeen(ids: string[], timeoutMs: number) {
    await waitFor(() => ids.every((id) => (this.orders.get(id)?.seenAt ?? null) !== null), {
      timeoutMs,
      everyMs: 20,
      what: "fills of the released orders",
    }).catch(() => {});
  }

  /** From release to `order_filled` read, of `ids`: p50, p99, max (ms), and how many were seen. */
  #seenOf(ids: string[]): SeenOf {
    const latencies: number[] = [];
    for (const id of ids) {
      const order = this.orders.get(id);
      if (order && order.seenAt !== null && order.releasedAt !== null) {
        latencies.push(order.seenAt - order.releasedAt);
      }
    }
    const { p50, p99, max } = summarize(latencies);
    return {
      released: ids.length,
      seen: latencies.length,
      missing: ids.length - latencies.length,
      p50,
      p99,
      max,
    };
  }

  /**
   * Not a goal of issue 11, but what a market move does: `count` orders released at the same
   * moment, so one round sees them all filled.
   */
  async releaseBurst(count: number) {
    const ids = this.candidates.splice(0, count);
    const window = await this.#window(async () => {
      const released = this.#release(ids);
      await this.#awaitSeen(released, 30_000);
      // Into the round after the fills, so the window holds the burst's round whole.
      await sleep(1_500);
      return released;
    });
    const result = { ...this.#seenOf(window.outcome), following: window.following };
    this.ctx.log(
      `following: burst of ${result.released}: ${result.seen} seen filled, p50 ${result.p50} ms, max ${result.max} ms; ${window.following.rounds} rounds, mean ${window.following.round_mean_ms} ms`,
    );
    return result;
  }

  /**
   * How long the emulator, in this process, takes to answer `GET /orders` with the whole book: a
   * part of every follow round that is the bench's, not the engine's. Asked after everything
   * else, so the engine's request rates are not touched.
   */
  async timeOrderBook() {
    const headers = {
      "X-Kite-Version": "3",
      Authorization: `token ${API_KEY}:${ACCESS_TOKEN}`,
    };
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      const response = await fetch(`${this.emulator.url}/orders`, { headers });
      bytes = (await response.arrayBuffer()).byteLength;
      times.push(performance.now() - started);
    }
    return { orders: this.emulator.orders().length, bytes, ms_p50: summarize(times).p50 };
  }

  results({
    setup,
    measured,
    burst,
    peak,
    book,
  }: {
    setup: Setup;
    measured: Measured;
    burst: Burst;
    peak: number;
    book: Book;
  }) {
    const fill = measured.fill_seen_ms;
    const seen = fill.seen;
    const following = measured.following;
    const metP99 =
      seen === fill.released &&
      seen > 0 &&
      fill.p99 !== null &&
      fill.p99 <= FOLLOWING_GOALS.fillSeenP99Ms;
    const metReads = following.reads_peak_per_s <= FOLLOWING_GOALS.readsPerSecond;
    this.ctx.log(
      `following: ${seen}/${fill.released} released orders seen filled: p50 ${fill.p50} ms, p99 ${fill.p99} ms, max ${fill.max} ms; Kite reads ${following.reads_peak_per_s}/s peak, ${following.reads_mean_per_s}/s mean (${following.reads} in ${following.window_s} s, ${following.rounds} rounds)`,
    );
    return {
      following: {
        open_orders: OPEN_ORDERS,
        fill_seen_ms: fill,
        kite_reads: following,
        goal: {
          fill_seen_p99_ms: FOLLOWING_GOALS.fillSeenP99Ms,
          reads_per_second: FOLLOWING_GOALS.readsPerSecond,
          fill_seen_met: metP99,
          reads_met: metReads,
        },
        phase: {
          seconds: measured.seconds,
          bursts: measured.bursts,
          open_orders_before: measured.open_orders_before,
          open_orders_after: measured.open_orders_after,
          bench_event_loop_delay_ms: measured.bench_event_loop_delay_ms,
        },
        setup,
        anomalies: {
          filled_without_release: this.filledUnreleased,
          duplicate_fills: this.duplicateFills,
          failed: this.failed.length,
        },
        burst,
        emulator_order_book: book,
        emulator_peak_reads_per_s_whole_run: peak,
        settings: {
          ZERODHA_STATUS_POLL_MS: "default (1000)",
          ZERODHA_REQUESTS_PER_SECOND: "default (10)",
          postbacks: "off",
        },
      },
    };
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
    await this.engine?.stop();
    await this.emulator?.stop();
  }
}
