// 2. Signal latency, end to end: validated signals produced at a fixed rate, paper trading, the
// PostgreSQL journal; from the moment a signal is handed to the producer to the moment a client
// consumer reads its `order_filled`. The engine runs in a process of its own; the producer and the
// client share this one (they are light, and one clock times both ends).

import {
  asKafkaMessage,
  type FullTick,
  fullTickFactory,
  instrumentTokens,
  validatedSignalEvent,
} from "@engine/core/testing";
import { type Consumer, type Message, Partitioners, type Producer } from "kafkajs";
import type { BenchContext, LatencyDistribution } from "../lib/context.ts";
import { EngineProcess, engineEnv } from "../lib/engine-process.ts";
import { ENGINE_STAGES, type EngineShare, engineShare } from "../lib/prometheus.ts";
import { RelayProcess } from "../lib/relay.ts";
import { consumeResults, parseOrNull } from "../lib/result-consumer.ts";
import { createTopics, fill, KAFKA_BROKERS, kafka, ownTopics } from "../lib/services.ts";
import { type LatencySummary, sleep, summarize, waitFor } from "../lib/stats.ts";
import { engineTopics, PAPER_FAILED, PAPER_FILLED } from "../lib/topics.ts";

const INSTRUMENTS = 200;
const STRATEGIES = 10;

/**
 * A rate is sustained when every result arrives within the window plus 2 s, the generator kept
 * the rate, and the latency does not grow: the p99 of the last third of the window is at most
 * twice the first third's (or within 5 ms of it, below which the difference is noise), and no
 * third has a p99 over QUEUED_MS (a queue that built up at once and stayed would pass the first
 * test, and a signal answered that late was waiting, not being processed).
 */
const QUEUED_MS = 100;
export const SUSTAINED_RULE = `every fill within window + 2 s, generator at >= 95 % of the rate, p99 of the last third <= max(2 x p99 of the first third, p99 of the first third + 5 ms), and both p99s <= ${QUEUED_MS} ms`;

/** One phase of signals at a rate, while it runs: what was sent, what came back. */
interface Phase {
  label: string;
  rate: number;
  seconds: number;
  sent: number;
  received: number;
  failed: number;
  /** Pairs: when the signal was sent (ms into the phase), then its latency (ms). */
  samples: number[];
  startedAt: number;
  lastAt: number;
  producedIn?: number;
}

/** A phase's outcome: counts, latency percentiles, whether the rate was sustained. */
export interface PhaseResult extends LatencySummary {
  label: string;
  rate: number;
  seconds: number;
  sent: number;
  filled: number;
  failed: number;
  missing: number;
  achieved_rate: number;
  p99_first_third: number | null;
  p99_last_third: number | null;
  last_result_after_window_ms: number;
  sustained: boolean;
  generator_limited: boolean;
  latencies: number[];
  engine_execution_ms_mean?: number | null;
  engine_share?: EngineShare;
}

/**
 * Something that answers signals (the engine, or the bare kafkajs relay), with a producer of
 * signals and a client reading the answers.
 */
export class SignalRig {
  readonly ctx: BenchContext;
  readonly inputTopic: string;
  readonly resultTopics: string[];
  readonly clientGroup: string;
  readonly tokens: number[];
  readonly tick: FullTick;
  /** signal id -> when it was handed to the producer, and its phase */
  readonly pending = new Map<string, { at: number; phase: Phase }>();
  readonly phases: Phase[] = [];
  sendErrors = 0;
  counter = 0;
  /** The tick topic of the engine, when the rig drives one. */
  ticksTopic = "";
  engine: EngineProcess | undefined;
  relay: RelayProcess | undefined;
  consumer: Consumer | undefined;
  producer: Producer | undefined;

  static async start(
    ctx: BenchContext,
    {
      name,
      namespace,
      ticksTopic,
      cpuProfile = false,
    }: { name: string; namespace: string; ticksTopic: string; cpuProfile?: boolean },
  ): Promise<SignalRig & { engine: EngineProcess }> {
    const rig = new SignalRig(ctx, {
      inputTopic: `${namespace}.signals.validated`,
      resultTopics: [PAPER_FILLED, PAPER_FAILED],
      clientGroup: `bench-${ctx.runId}-${namespace}-client`,
    });
    rig.ticksTopic = ticksTopic;
    await createTopics([ticksTopic], 3);
    ownTopics(engineTopics(namespace, ticksTopic));
    const engine = await EngineProcess.start({
      name,
      cpuProfile,
      env: engineEnv({
        brokers: KAFKA_BROKERS,
        databaseUrl: ctx.databaseUrl,
        namespace,
        groupPrefix: `bench-${ctx.runId}-${namespace}`,
        ticksTopic,
        // Priced once at the start for the whole run: those prices must not age out meanwhile.
        extra: { PRICE_MAX_AGE_MS: "86400000" },
      }),
    });
    rig.engine = engine;
    try {
      await rig.#prime(engine, ticksTopic);
      await rig.#connect();
    } catch (error) {
      await rig.stop();
      throw error;
    }
    return Object.assign(rig, { engine });
  }

  /** The baseline: kafkajs consuming signals and producing an answer to each, nothing else. */
  static async startRelay(ctx: BenchContext): Promise<SignalRig> {
    const input = `bench.${ctx.runId}.relay.in`;
    const output = `bench.${ctx.runId}.relay.out`;
    await createTopics([input, output], 3);
    const rig = new SignalRig(ctx, {
      inputTopic: input,
      resultTopics: [output],
      clientGroup: `bench-${ctx.runId}-relay-client`,
    });
    rig.relay = await RelayProcess.start({
      name: "relay",
      brokers: KAFKA_BROKERS,
      input,
      output,
      group: `bench-${ctx.runId}-relay`,
    });
    try {
      await rig.#connect();
    } catch (error) {
      await rig.stop();
      throw error;
    }
    return rig;
  }

  constructor(
    ctx: BenchContext,
    {
      inputTopic,
      resultTopics,
      clientGroup,
    }: { inputTopic: string; resultTopics: string[]; clientGroup: string },
  ) {
    this.ctx = ctx;
    this.inputTopic = inputTopic;
    this.resultTopics = resultTopics;
    this.clientGroup = clientGroup;
    this.tokens = instrumentTokens(INSTRUMENTS);
    this.tick = fullTickFactory(7);
  }

  /** A price for every instrument the signals trade: paper fills at the last price. */
  async #prime(engine: EngineProcess, ticksTopic: string) {
    await fill(
      ticksTopic,
      this.tokens.map((token) => ({ key: String(token), value: this.tick(token) })),
      this.tokens.length,
    );
    await waitFor(async () => (await engine.ticks()) >= this.tokens.length, {
      timeoutMs: 60_000,
      what: "engine priced every instrument",
    });
  }

  async #connect() {
    const client = kafka("engine-bench-client");
    const consumer = client.consumer({ groupId: this.clientGroup, maxWaitTimeInMs: 100 });
    const producer = client.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    this.producer = producer;
    await producer.connect();
    await consumer.connect();
    // Paper results of every engine on the broker land there: this run's are told apart by
    // their causation id, the signal's own id. From the latest: the warm-up covers the join.
    const [filled] = this.resultTopics;
    await consumeResults(consumer, this.resultTopics, (topic, message, now) => {
      const causationId = parseOrNull(message.value)?.causation_id;
      const sent = causationId ? this.pending.get(causationId) : undefined;
      if (!causationId || !sent) return;
      this.pending.delete(causationId);
      const phase = sent.phase;
      phase.received += 1;
      phase.lastAt = now;
      if (topic === filled) phase.samples.push(sent.at - phase.startedAt, now - sent.at);
      else phase.failed += 1;
    });
    // The group has its partitions; give it the moment it takes to fetch their latest offsets.
    await sleep(1_000);
  }

  /** Produces signals at `rate` per second for `seconds`, then waits for their results. */
  async phase(
    label: string,
    rate: number,
    seconds: number,
    { drainMs = 10_000 } = {},
  ): Promise<PhaseResult> {
    const producer = this.producer;
    if (!producer) throw new Error("the rig is not connected");
    const phase: Phase = {
      label,
      rate,
      seconds,
      sent: 0,
      received: 0,
      failed: 0,
      samples: [],
      startedAt: performance.now(),
      lastAt: 0,
    };
    this.phases.push(phase);
    const total = Math.round(rate * seconds);
    const topic = this.inputTopic;
    const start = performance.now();
    while (phase.sent < total) {
      const elapsed = (performance.now() - start) / 1000;
      const due = Math.min(total, Math.floor(elapsed * rate) + 1);
      if (due > phase.sent) {
        const messages: Message[] = [];
        const at = performance.now();
        for (; phase.sent < due; phase.sent += 1) {
          this.counter += 1;
          const signal = validatedSignalEvent({
            strategyId: `bench-strategy-${this.counter % STRATEGIES}`,
            instrumentToken: this.tokens[this.counter % this.tokens.length] as number,
            signalType: this.counter % 2 === 0 ? "BUY" : "SELL",
            quantity: 1,
            price: 100,
          });
          this.pending.set(signal.id, { at, phase });
          messages.push(asKafkaMessage(signal));
        }
        producer.send({ topic, acks: -1, messages }).catch(() => {
          this.sendErrors += 1;
        });
      }
      const nextDue = start + ((phase.sent + 0) / rate) * 1000;
      await sleep(Math.max(0, Math.min(5, nextDue - performance.now())));
    }
    phase.producedIn = (performance.now() - start) / 1000;
    const windowEnd = start + seconds * 1000;
    await waitFor(() => phase.received >= phase.sent || performance.now() > windowEnd + drainMs, {
      timeoutMs: drainMs + seconds * 1000 + 5_000,
      everyMs: 20,
      what: "results",
    }).catch(() => {});
    return this.#report(phase, windowEnd);
  }

  #report(phase: Phase, windowEnd: number): PhaseResult {
    const latencies: number[] = [];
    const offsets: number[] = [];
    for (let i = 0; i + 1 < phase.samples.length; i += 2) {
      offsets.push(phase.samples[i] as number);
      latencies.push(phase.samples[i + 1] as number);
    }
    const third = (phase.seconds * 1000) / 3;
    const firstThird = latencies.filter((_, i) => (offsets[i] as number) < third);
    const lastThird = latencies.filter((_, i) => (offsets[i] as number) >= 2 * third);
    const achieved = phase.sent / (phase.producedIn ?? Number.NaN);
    const summary = summarize(latencies);
    const p99First = summarize(firstThird).p99;
    const p99Last = summarize(lastThird).p99;
    const inTime = phase.received === phase.sent && phase.lastAt <= windowEnd + 2_000;
    const generatorKept = achieved >= phase.rate * 0.95;
    const notGrowing =
      p99First !== null &&
      p99Last !== null &&
      p99Last <= Math.max(2 * p99First, p99First + 5) &&
      Math.max(p99First, p99Last) <= QUEUED_MS;
    return {
      label: phase.label,
      rate: phase.rate,
      seconds: phase.seconds,
      sent: phase.sent,
      filled: phase.received - phase.failed,
      failed: phase.failed,
      missing: phase.sent - phase.received,
      achieved_rate: Math.round(achieved),
      ...summary,
      p99_first_third: p99First,
      p99_last_third: p99Last,
      last_result_after_window_ms: Math.round(phase.lastAt - windowEnd),
      sustained: inTime && generatorKept && notGrowing && phase.failed === 0,
      generator_limited: !generatorKept,
      latencies,
    };
  }

  async stop(): Promise<number | null | undefined> {
    await this.consumer?.disconnect().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
    await this.relay?.stop();
    return this.engine?.stop();
  }
}

const FIXED_RATES = [100, 500];

/** Runs `rig` at each fixed rate after a warm-up; logs and returns each phase's result. */
async function fixedPhases(ctx: BenchContext, rig: SignalRig, what: string) {
  await rig.phase("warm-up", 100, ctx.quick ? 2 : 5);
  const seconds = ctx.quick ? 5 : 20;
  const fixed = [];
  for (const rate of FIXED_RATES) {
    const result = await measuredPhase(rig, `${what} ${rate}/s`, rate, seconds);
    ctx.log(
      `latency: ${what} at ${rate}/s for ${seconds} s: p50 ${result.p50} ms, p99 ${result.p99} ms, p99.9 ${result.p999} ms, max ${result.max} ms (${result.filled}/${result.sent} answered${result.engine_share ? `; engine's own share ${result.engine_execution_ms_mean} ms mean, per batch ${stagesText(result.engine_share)}` : ""})`,
    );
    fixed.push(result);
    await sleep(1_000);
  }
  return fixed;
}

/**
 * A phase of `rig`; for the engine, with where its share went, from its /metrics read before and
 * after: `engine_execution_seconds` (per execution, from reading its batch to its result
 * acknowledged by Kafka) and `engine_stage_seconds` (per batch and stage).
 */
async function measuredPhase(
  rig: SignalRig,
  label: string,
  rate: number,
  seconds: number,
  options?: { drainMs?: number },
): Promise<PhaseResult> {
  const before = await rig.engine?.samples();
  const result = await rig.phase(label, rate, seconds, options);
  if (before && rig.engine) {
    const share = engineShare(before, await rig.engine.samples());
    result.engine_execution_ms_mean = share.execution_mean_ms;
    result.engine_share = share;
  }
  return result;
}

function stagesText(share: EngineShare) {
  return ENGINE_STAGES.map(
    (stage) => `${stage} ${share.stages_mean_ms_per_batch[stage].mean_ms ?? "n/a"} ms`,
  ).join(", ");
}

/** The engine's latency over the relay's, same rate, same run (issue 11: within 1.5). */
const ratio = (engine: number | null, relay: number | null | undefined) =>
  relay !== null && relay !== undefined && relay > 0
    ? Math.round(((engine ?? 0) / relay) * 100) / 100
    : null;

const percentiles = (result: PhaseResult) => ({
  rate: result.rate,
  p50: result.p50,
  p99: result.p99,
  p999: result.p999,
  max: result.max,
});

export async function runLatency(ctx: BenchContext) {
  const engine = await runEngineLatency(ctx);
  // The same hops with nothing in between, measured right after on the same broker.
  ctx.log("latency: baseline (bare kafkajs relay)");
  const relay = await SignalRig.startRelay(ctx);
  let baseline: PhaseResult[];
  try {
    baseline = await fixedPhases(ctx, relay, "baseline");
  } finally {
    await relay.stop();
  }
  const engineAt100 = engine.signal_latency_ms;
  const baselineAt100 = baseline[0] as PhaseResult;
  const ratios = engine.latency.fixed.map((result, i) => ({
    rate: result.rate,
    p50: ratio(result.p50, baseline[i]?.p50),
    p99: ratio(result.p99, baseline[i]?.p99),
  }));
  return {
    ...engine,
    baseline_kafkajs_relay_latency_ms: percentiles(baselineAt100),
    signal_latency_p50_ratio_vs_kafkajs: ratio(engineAt100.p50, baselineAt100.p50),
    signal_latency_p99_ratio_vs_kafkajs: ratio(engineAt100.p99, baselineAt100.p99),
    signal_latency_ratios_vs_kafkajs: ratios,
    latency: {
      ...engine.latency,
      baseline: baseline.map(({ latencies, ...rest }) => rest),
    },
    distributions: [
      ...engine.distributions,
      ...baseline.map((result) => ({ label: result.label, latencies: result.latencies })),
    ],
  };
}

async function runEngineLatency(ctx: BenchContext) {
  const rig = await SignalRig.start(ctx, {
    name: "latency",
    namespace: `bench${ctx.runId}l`,
    ticksTopic: `bench.${ctx.runId}.ticks.latency`,
    cpuProfile: ctx.cpuProfile,
  });
  try {
    ctx.log("latency: warm-up");
    const fixed = await fixedPhases(ctx, rig, "engine");

    const stepSeconds = ctx.quick ? 4 : 10;
    const steps: PhaseResult[] = [];
    let passed: number | null = null;
    let failedAt: number | null = null;
    for (const rate of ctx.quick ? [500, 1_000, 2_000, 4_000] : [500, 1_000, 2_000, 4_000, 8_000]) {
      const result = await measuredPhase(rig, `step ${rate}/s`, rate, stepSeconds, {
        drainMs: 15_000,
      });
      steps.push(result);
      ctx.log(
        `latency: step ${rate}/s: ${result.sustained ? "sustained" : "NOT sustained"} (achieved ${result.achieved_rate}/s, p99 ${result.p99_first_third} -> ${result.p99_last_third} ms, ${result.missing} missing)`,
      );
      await sleep(2_000);
      if (!result.sustained) {
        failedAt = rate;
        break;
      }
      passed = rate;
    }
    // One more point between the last rate sustained and the first that was not.
    if (passed !== null && failedAt !== null) {
      const rate = Math.round((passed + failedAt) / 2);
      const result = await measuredPhase(rig, `step ${rate}/s`, rate, stepSeconds, {
        drainMs: 15_000,
      });
      steps.push(result);
      ctx.log(`latency: step ${rate}/s: ${result.sustained ? "sustained" : "NOT sustained"}`);
      if (result.sustained) passed = rate;
    }
    const at100 = fixed[0] as PhaseResult;
    const strip = ({ latencies, ...rest }: PhaseResult) => rest;
    return {
      signal_latency_ms: percentiles(at100),
      max_sustained_signals_per_s: passed,
      latency: {
        fixed: fixed.map(strip),
        steps: steps.map(strip),
        sustained_rule: SUSTAINED_RULE,
        send_errors: rig.sendErrors,
        engine_metrics: await engineCounters(rig.engine),
      },
      distributions: fixed.map(
        (result): LatencyDistribution => ({ label: result.label, latencies: result.latencies }),
      ),
    };
  } finally {
    await rig.stop();
  }
}

/** The engine's own counts, to check against what the client saw. */
export async function engineCounters(engine: EngineProcess) {
  const metrics = await engine.metrics().catch((): Record<string, number> => ({}));
  const pick = ["engine_signals_total", "engine_results_total", "engine_ticks_total"];
  return Object.fromEntries(pick.map((name) => [name, metrics[name] ?? null]));
}
