import { silentLogger } from "@engine/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../app/engine.js";
import { DivergenceMetrics } from "../migration/divergence-metrics.js";
import {
  alertQueries,
  alertRules,
  dashboardQueries,
  exposedNames,
  metricNamesIn,
} from "../test-support/ops-files.js";

/** What the issue asks the dashboard to show, by the metric that shows it. */
const DASHBOARD_MUST_SHOW = {
  throughput: "engine_results_total",
  "latency percentiles": "engine_execution_seconds_bucket",
  "dead letters": "engine_dead_letters_total",
  "consumer lag": "engine_consumer_lag",
  "trader health": "engine_trader_ready",
  "open orders": "engine_open_orders",
  "trading state": "engine_trading_state",
  "shadow divergence": "engine_shadow_divergence_total",
};

describe("the Grafana dashboard and the alert rules read metrics the engine exposes", () => {
  const engine = new Engine({
    // The embedded default: in-process bus, PGlite, every shipped plugin as configured by default.
    env: { HTTP_PORT: "0", MARKET_HOURS_MODE: "always_open" },
    logger: silentLogger,
  });
  let engineNames: Set<string>;
  // `engine_shadow_*` come from `engine compare --follow`, a process of its own (README).
  let compareNames: Set<string>;

  beforeAll(async () => {
    const running = await engine.start();
    const response = await fetch(`http://127.0.0.1:${running.httpPort}/metrics`);
    expect(response.status).toBe(200);
    engineNames = exposedNames(await response.text());
    compareNames = exposedNames(await new DivergenceMetrics().render());
  }, 60_000);

  afterAll(() => engine.stop());

  it("every metric a dashboard panel reads is on the engine's /metrics, or the comparison's for engine_shadow_*", () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    const missing = queries.flatMap((query) =>
      metricNamesIn(query.expr)
        .filter((name) =>
          name.startsWith("engine_shadow_") ? !compareNames.has(name) : !engineNames.has(name),
        )
        .map((name) => `${query.source}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it("the dashboard shows everything the issue lists", () => {
    const read = new Set(dashboardQueries().flatMap((query) => metricNamesIn(query.expr)));
    const absent = Object.entries(DASHBOARD_MUST_SHOW).filter(([, name]) => !read.has(name));
    expect(absent).toEqual([]);
  });

  it("every metric an alert reads is on the engine's /metrics", () => {
    const missing = alertQueries().flatMap((query) =>
      metricNamesIn(query.expr)
        .filter((name) => !engineNames.has(name))
        .map((name) => `${query.source}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it("every alert says how bad it is, what happened and what an operator does", () => {
    const rules = alertRules();
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        "LiveNamespaceUnavailable",
        "DuplicateOrderAtBroker",
        "OrderAfterFailure",
        "ExecutionFencedOff",
        "OrderStuckUnknown",
        "ConsumerLagGrowing",
        "DeadLetters",
        "JournalUnreachable",
        "TradingHalted",
      ]),
    );
    for (const rule of rules) {
      // A description long enough to say what to do, not a restatement of the summary.
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(150);
    }
  });
});
