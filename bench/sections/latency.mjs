// 2. Signal latency, end to end: validated signals produced at a fixed rate, paper trading, the
// PostgreSQL journal; from the moment a signal is handed to the producer to the moment a client
// consumer reads its `order_filled`. The engine runs in a process of its own; the producer and the
// client share this one (they are light, and one clock times both ends).

import { Partitioners } from "../lib/deps.mjs";
import { EngineProcess, engineEnv } from "../lib/engine-process.mjs";
import { instrumentTokens, tickFactory, validatedSignal } from "../lib/messages.mjs";
import { ENGINE_STAGES, engineShare } from "../lib/prometheus.mjs";
import { RelayProcess } from "../lib/relay.mjs";
import { consumeResults, parseOrNull } from "../lib/result-consumer.mjs";
import { createTopics, fill, KAFKA_BROKERS, kafka, ownTopics } from "../lib/services.mjs";
import { sleep, summarize, waitFor } from "../lib/stats.mjs";
import { engineTopics, PAPER_FAILED, PAPER_FILLED } from "../lib/topics.mjs";

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

/**
 * Something that answers signals (the engine, or the bare kafkajs relay), with a producer of
 * signals and a client reading the answers.
 */
export class SignalRig {
  static async start(ctx, { name, namespace, ticksTopic, cpuProfile = false }) {
    const rig = new SignalRig(ctx, {
      inputTopic: `${namespace}.signals.validated`,
      resultTopics: [PAPER_FILLED, PAPER_FAILED],
      clientGroup: `bench-${ctx.runId}-${namespace}-client`,
    });
    await createTopics([ticksTopic], 3);
    ownTopics(engineTopics(namespace, ticksTopic));
    rig.engine = await EngineProcess.start({
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
    try {
      await rig.#prime(ticksTopic);
      await rig.#connect();
    } catch (error) {
      await rig.stop();
      throw error;
    }
    return rig;
  }

  /** The baseline: kafkajs consuming signals and producing an answer to each, nothing else. */
  static async startRelay(ctx) {
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

  constructor(ctx, { inputTopic, resultTopics, clientGroup }) {
    this.ctx = ctx;
    this.inputTopic = inputTopic;
    this.resultTopics = resultTopics;
    this.clientGroup = clientGroup;
    this.tokens = instrumentTokens(INSTRUMENTS);
    this.tick = tickFactory(7);
    /** signal id -> { at, phase } */
    this.pending = new Map();
    this.phases = [];
    this.sendErrors = 0;
    this.counter = 0;
  }

  /** A price for every instrument the signals trade: paper fills at the last price. */
  async #prime(ticksTopic) {
    await fill(
      ticksTopic,
      this.tokens.map((token) => ({ key: String(token), value: this.tick(token) })),
      this.tokens.length,
    );
    await waitFor(async () => (await this.engine.ticks()) >= this.tokens.length, {
      timeoutMs: 60_000,
      what: "engine priced every instrument",
    });
  }

  async #connect() {
    const client = kafka("engine-bench-client");
    this.consumer = client.consumer({ groupId: this.clientGroup, maxWaitTimeInMs: 100 });
    this.producer = client.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await this.producer.connect();
    await this.consumer.connect();
    // Paper results of every engine on the broker land there: this run's are told apart by
    // their causation id, the signal's own id. From the latest: the warm-up covers the join.
    const [filled] = this.resultTopics;
    await consumeResults(this.consumer, this.resultTopics, (topic, message, now) => {
      const event = parseOrNull(message.value);
      const sent = event && this.pending.get(event.causation_id);
      if (!sent) return;
      this.pending.delete(event.causation_id);
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
  async phase(label, rate, seconds, { drainMs = 10_000 } = {}) {
    const phase = {
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
        const messages = [];
        const at = performance.now();
        for (; phase.sent < due; phase.sent += 1) {
          this.counter += 1;
          const signal = validatedSignal({
            strategyId: `bench-strategy-${this.counter % STRATEGIES}`,
            token: this.tokens[this.counter % this.tokens.length],
            side: this.counter % 2 === 0 ? "BUY" : "SELL",
          });
          this.pending.set(signal.id, { at, phase });
          messages.push({ key: signal.key, value: signal.value });
        }
        this.producer.send({ topic, acks: -1, messages }).catch(() => {
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

  #report(phase, windowEnd) {
    const latencies = [];
    const offsets = [];
    for (let i = 0; i < phase.samples.length; i += 2) {
      offsets.push(phase.samples[i]);
      latencies.push(phase.samples[i + 1]);
    }
    const third = (phase.seconds * 1000) / 3;
    const firstThird = latencies.filter((_, i) => offsets[i] < third);
    const lastThird = latencies.filter((_, i) => offsets[i] >= 2 * third);
    const achieved = phase.sent / phase.producedIn;
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

  async stop() {
    await this.consumer?.disconnect().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
    await this.relay?.stop();
    return this.engine?.stop();
  }
}

const FIXED_RATES = [100, 500];

/** Runs `rig` at each fixed rate after a warm-up; logs and returns each phase's result. */
async function fixedPhases(ctx, rig, what) {
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
async function measuredPhase(rig, label, rate, seconds, options) {
  const before = await rig.engine?.samples();
  const result = await rig.phase(label, rate, seconds, options);
  if (before) {
    const share = engineShare(before, await rig.engine.samples());
    result.engine_execution_ms_mean = share.execution_mean_ms;
    result.engine_share = share;
  }
  return result;
}

function stagesText(share) {
  return ENGINE_STAGES.map(
    (stage) => `${stage} ${share.stages_mean_ms_per_batch[stage].mean_ms ?? "n/a"} ms`,
  ).join(", ");
}

/** The engine's latency over the relay's, same rate, same run (issue 11: within 1.5). */
const ratio = (engine, relay) => (relay > 0 ? Math.round((engine / relay) * 100) / 100 : null);

const percentiles = (result) => ({
  rate: result.rate,
  p50: result.p50,
  p99: result.p99,
  p999: result.p999,
  max: result.max,
});

export async function runLatency(ctx) {
  const engine = await runEngineLatency(ctx);
  // The same hops with nothing in between, measured right after on the same broker.
  ctx.log("latency: baseline (bare kafkajs relay)");
  const relay = await SignalRig.startRelay(ctx);
  let baseline;
  try {
    baseline = await fixedPhases(ctx, relay, "baseline");
  } finally {
    await relay.stop();
  }
  const engineAt100 = engine.signal_latency_ms;
  const baselineAt100 = baseline[0];
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

async function runEngineLatency(ctx) {
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
    const steps = [];
    let passed = null;
    let failedAt = null;
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
    const at100 = fixed[0];
    const strip = ({ latencies, ...rest }) => rest;
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
      distributions: fixed.map((result) => ({ label: result.label, latencies: result.latencies })),
    };
  } finally {
    await rig.stop();
  }
}

/** The engine's own counts, to check against what the client saw. */
export async function engineCounters(engine) {
  const metrics = await engine.metrics().catch(() => ({}));
  const pick = ["engine_signals_total", "engine_results_total", "engine_ticks_total"];
  return Object.fromEntries(pick.map((name) => [name, metrics[name] ?? null]));
}
