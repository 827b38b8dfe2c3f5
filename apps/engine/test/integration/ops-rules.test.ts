import type { Producer } from "kafkajs";
import { describe, expect } from "vitest";
import { HttpServer } from "../../src/http/http-server.js";
import { DivergenceMetrics } from "../../src/migration/divergence-metrics.js";
import {
  ALERTS_PATH,
  alertQueries,
  alertRules,
  dashboardQueries,
  metricNamesIn,
  type OpsQuery,
} from "../../src/test-support/ops-files.js";
import { controlEnv, postControl } from "./test-support/controls.js";
import { FILE_SCOPE, inProcessTest } from "./test-support/fixtures.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import { uniqueName } from "./test-support/kafka.js";
import { validatedSignal } from "./test-support/messages.js";
import { type Prometheus, startPrometheus, until } from "./test-support/prometheus.js";
import { sendSignals } from "./test-support/signal-stream.js";
import type { Teardown } from "./test-support/teardown.js";

const ADMIN_TOKEN = "ops-admin-token-0123456789";
const ENGINE_JOB = "trading_engine";
const COMPARE_JOB = "engine_compare";
const strategy = uniqueName("ops_s_");

/** The file's engine, with the live stand-in, an admin token, the strategy and a price. */
const it = inProcessTest.extend("options", FILE_SCOPE, {
  label: "ops",
  env: controlEnv("ops", ADMIN_TOKEN),
  strategies: [{ id: strategy }],
  price: 1520.5,
});

interface RuleState {
  name: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

interface ActiveAlert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}

/** `DivergenceMetrics` served as `engine compare --follow` serves them; its port. */
async function serveCompareMetrics(teardown: Teardown): Promise<number> {
  const compareHttp = new HttpServer({
    port: 0,
    host: "127.0.0.1",
    metrics: new DivergenceMetrics(),
    readiness: async () => ({ ready: true, checks: {} }),
  });
  const port = await compareHttp.start();
  teardown.defer(() => compareHttp.stop());
  return port;
}

/**
 * The alert rules and the dashboard against a real Prometheus (Debian's binary, installed by
 * scripts/services/prometheus.sh) scraping a test engine on real Kafka and PostgreSQL: every rule
 * loads and evaluates, every query runs, every metric they read is in the scrape, and the alerts
 * the engine's state calls for (a halt, a dead letter) go pending or fire while the others stay
 * quiet. The comparison's `engine_shadow_*` metrics come from a second target serving
 * `DivergenceMetrics`, as `engine compare --follow` does (the real process needs an old engine's
 * topics to compare with). What a paper engine cannot cause (a duplicate order, a fenced write, an
 * order stuck unknown, a live trader down) is evaluated here only at 0; the rules firing on those
 * are `promtool test rules engine-alerts.test.yml`'s.
 */
describe("alert rules and dashboard queries on a real Prometheus scraping a test engine", () => {
  // The file's fixtures, bound once: the tests below read what the setup put Prometheus through.
  let engine: TestEngine;
  let producer: Producer;
  let prometheus: Prometheus;
  let signalTopic: string;

  async function engineCount(series: string): Promise<number> {
    const text = await engine.running.metrics.render();
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }

  it.beforeAll(async ({ engine: e, bench, site, teardown, token }) => {
    [engine, producer, signalTopic] = [e, bench.producer, site.signalTopic];
    prometheus = await startPrometheus(teardown, {
      ruleFiles: [ALERTS_PATH],
      jobs: {
        [ENGINE_JOB]: engine.running.httpPort,
        [COMPARE_JOB]: await serveCompareMetrics(teardown),
      },
    });

    // A scrape before anything happens: counters' increases are measured from there.
    await prometheus.scrapedSince(Date.now());

    // What the engine goes through: a fill, a dead letter, a halted strategy and its refusal.
    await sendSignals(producer, signalTopic, [
      validatedSignal({ strategyId: strategy, instrumentToken: token }),
    ]);
    await until("the paper fill", async () => {
      const text = await engine.running.metrics.render();
      return /engine_results_total\{[^}]*outcome="filled"[^}]*\} [1-9]/.test(text);
    });
    await producer.send({ topic: signalTopic, messages: [{ key: "junk", value: "not json" }] });
    await until(
      "the dead letter",
      async () => (await engineCount(`engine_dead_letters_total{topic="${signalTopic}"}`)) > 0,
    );
    const halt = await postControl(
      engine.running.httpPort,
      { scope: "strategy", strategy_id: strategy, state: "HALTED", reason: "ops rules test" },
      ADMIN_TOKEN,
    );
    expect(halt.status).toBe(202);
    await until(
      "the halt to apply",
      async () => (await engineCount(`engine_trading_state{scope="strategy:${strategy}"}`)) === 2,
    );

    // Two scrapes after all of it, then one evaluation of every rule after those.
    await prometheus.scrapedSince(Date.now() + 1_000);
    const evaluatedFrom = Date.now();
    await until("every rule evaluated after the scrapes", async () => {
      const rules = await prometheus.api<{ groups: { rules: RuleState[] }[] }>("/api/v1/rules");
      const all = rules.data.groups.flatMap((g) => g.rules);
      return (
        all.length === alertRules().length &&
        all.every((rule) => Date.parse(rule.lastEvaluation) > evaluatedFrom)
      );
    });
  }, 120_000);

  it("loads and evaluates every alert rule without error", async () => {
    const rules = await prometheus.api<{ groups: { rules: RuleState[] }[] }>("/api/v1/rules");
    const states = rules.data.groups.flatMap((g) => g.rules);
    expect(states.map((rule) => rule.name).sort()).toEqual(
      alertRules()
        .map((rule) => rule.alert)
        .sort(),
    );
    const unhealthy = states.filter((rule) => rule.health !== "ok" || rule.lastError);
    expect(unhealthy).toEqual([]);
  });

  it("runs every alert expression and dashboard query through the query API", async () => {
    const failures: string[] = [];
    for (const { source, expr } of [...alertQueries(), ...dashboardQueries()]) {
      const answer = await prometheus.query(expr);
      if (answer.status !== "success") failures.push(`${source}: ${answer.error ?? "?"}`);
    }
    expect(failures).toEqual([]);
  });

  it("finds every metric the rules and the dashboard read in the scrape of its target", async () => {
    const exposed = async (job: string) => {
      const answer = await prometheus.api<{ metric: string }[]>(
        `/api/v1/targets/metadata?match_target=${encodeURIComponent(`{job="${job}"}`)}`,
      );
      return new Set(answer.data.map((entry) => entry.metric));
    };
    const engineFamilies = await exposed(ENGINE_JOB);
    const compareFamilies = await exposed(COMPARE_JOB);
    expect(engineFamilies.has("engine_results_total")).toBe(true);
    const family = (name: string) => name.replace(/_(bucket|sum|count)$/, "");
    const missing = [...alertQueries(), ...dashboardQueries()].flatMap(
      ({ source, expr }: OpsQuery) =>
        metricNamesIn(expr)
          .filter((name) => {
            const families = name.startsWith("engine_shadow_") ? compareFamilies : engineFamilies;
            return !families.has(name) && !families.has(family(name));
          })
          .map((name) => `${source}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it("puts the halted strategy's TradingHalted and the dead letter's DeadLetters up, and nothing else", async () => {
    const answer = await prometheus.api<{ alerts: ActiveAlert[] }>("/api/v1/alerts");
    const active = answer.data.alerts.map((alert) => ({
      alert: alert.labels.alertname,
      state: alert.state,
      scope: alert.labels.scope,
      topic: alert.labels.topic,
    }));
    expect(active).toEqual(
      expect.arrayContaining([
        // `for: 1m`: pending for the test's few seconds.
        {
          alert: "TradingHalted",
          state: "pending",
          scope: `strategy:${strategy}`,
          topic: undefined,
        },
        { alert: "DeadLetters", state: "firing", scope: undefined, topic: signalTopic },
      ]),
    );
    expect(active).toHaveLength(2);
  });
});
