import { type ChildProcess, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { openTestDatabase, putStrategy } from "./test-support/database.js";
import { freePort, scratchDir } from "./test-support/engine-process.js";
import { baseEnv, startEngine, type TestEngine } from "./test-support/in-process-engine.js";
import { openProducer, uniqueName } from "./test-support/kafka.js";
import { validatedSignal } from "./test-support/messages.js";
import { primePrice, randomToken } from "./test-support/probes.js";
import { eventually, sendSignals } from "./test-support/signal-stream.js";
import { Teardown } from "./test-support/teardown.js";

const ADMIN_TOKEN = "ops-admin-token-0123456789";
const ENGINE_JOB = "trading_engine";
const COMPARE_JOB = "engine_compare";

/** A Prometheus HTTP API answer (`/api/v1/...`). */
interface ApiAnswer<T> {
  status: "success" | "error";
  data: T;
  error?: string;
}

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
  const teardown = new Teardown();
  const namespace = uniqueName("ops");
  const signalTopic = `${namespace}.signals.validated`;
  const strategy = uniqueName("ops_s_");
  const token = randomToken();
  let engine: TestEngine;
  let producer: Producer;
  let prometheus: string;

  async function api<T>(path: string): Promise<ApiAnswer<T>> {
    const response = await fetch(`${prometheus}${path}`);
    return (await response.json()) as ApiAnswer<T>;
  }

  async function query(expr: string): Promise<ApiAnswer<{ result: unknown[] }>> {
    return api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  }

  /** `eventually`, with a check that throws (Prometheus not listening yet) as not yet. */
  function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    return eventually(
      () => check().catch(() => false),
      ms,
      () => what,
      250,
    );
  }

  /** Resolves once both targets were scraped, successfully, after `since` (epoch ms). */
  async function scrapedSince(since: number): Promise<void> {
    await until("both targets scraped", async () => {
      const targets = await api<{
        activeTargets: { health: string; lastScrape: string }[];
      }>("/api/v1/targets");
      return (
        targets.data.activeTargets.length === 2 &&
        targets.data.activeTargets.every(
          (t) => t.health === "up" && Date.parse(t.lastScrape) > since,
        )
      );
    });
  }

  async function engineCount(series: string): Promise<number> {
    const text = await engine.running.metrics.render();
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }

  beforeAll(async () => {
    const db = await openTestDatabase(teardown);
    engine = await startEngine(
      teardown,
      baseEnv(db.url, namespace, {
        LIVESIM_ENABLED: "true",
        ENGINE_CONTROL_TOPIC: uniqueName("ops.control."),
        ENGINE_ADMIN_TOKEN: ADMIN_TOKEN,
      }),
    );
    producer = await openProducer(teardown);

    const compare = new DivergenceMetrics();
    const compareHttp = new HttpServer({
      port: 0,
      host: "127.0.0.1",
      metrics: compare,
      readiness: async () => ({ ready: true, checks: {} }),
    });
    const comparePort = await compareHttp.start();
    teardown.defer(() => compareHttp.stop());

    const dir = scratchDir("prometheus");
    teardown.defer(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    prometheus = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, "prometheus.yml"),
      JSON.stringify({
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: [ALERTS_PATH],
        scrape_configs: [
          {
            job_name: ENGINE_JOB,
            static_configs: [{ targets: [`127.0.0.1:${engine.running.httpPort}`] }],
          },
          { job_name: COMPARE_JOB, static_configs: [{ targets: [`127.0.0.1:${comparePort}`] }] },
        ],
      }),
    );
    const server: ChildProcess = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let log = "";
    server.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4_000);
    });
    teardown.defer(
      () =>
        new Promise<void>((resolve) => {
          if (server.exitCode !== null) return resolve();
          server.once("exit", () => resolve());
          server.kill("SIGTERM");
        }),
    );
    await until("prometheus to be ready", async () => {
      if (server.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
      return (await fetch(`${prometheus}/-/ready`)).ok;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\nprometheus said:\n${log}`);
    });

    // A scrape before anything happens: counters' increases are measured from there.
    await scrapedSince(Date.now());

    // What the engine goes through: a fill, a dead letter, a halted strategy and its refusal.
    await primePrice(engine, producer, token, 1520.5);
    await putStrategy(db, { id: strategy });
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
    const halt = await fetch(`http://127.0.0.1:${engine.running.httpPort}/control`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        scope: "strategy",
        strategy_id: strategy,
        state: "HALTED",
        reason: "ops rules test",
      }),
    });
    expect(halt.status).toBe(202);
    await until(
      "the halt to apply",
      async () => (await engineCount(`engine_trading_state{scope="strategy:${strategy}"}`)) === 2,
    );

    // Two scrapes after all of it, then one evaluation of every rule after those.
    await scrapedSince(Date.now() + 1_000);
    const evaluatedFrom = Date.now();
    await until("every rule evaluated after the scrapes", async () => {
      const rules = await api<{ groups: { rules: RuleState[] }[] }>("/api/v1/rules");
      const all = rules.data.groups.flatMap((g) => g.rules);
      return (
        all.length === alertRules().length &&
        all.every((rule) => Date.parse(rule.lastEvaluation) > evaluatedFrom)
      );
    });
  }, 120_000);

  afterAll(() => teardown.run());

  it("loads and evaluates every alert rule without error", async () => {
    const rules = await api<{ groups: { rules: RuleState[] }[] }>("/api/v1/rules");
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
      const answer = await query(expr);
      if (answer.status !== "success") failures.push(`${source}: ${answer.error ?? "?"}`);
    }
    expect(failures).toEqual([]);
  });

  it("finds every metric the rules and the dashboard read in the scrape of its target", async () => {
    const exposed = async (job: string) => {
      const answer = await api<{ metric: string }[]>(
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
    const answer = await api<{ alerts: ActiveAlert[] }>("/api/v1/alerts");
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
