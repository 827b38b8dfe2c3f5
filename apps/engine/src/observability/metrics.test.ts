import { describe, expect, it } from "vitest";
import { EngineMetrics } from "./metrics.js";

/** The value of one series in a text exposition, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("EngineMetrics: gauges read at each scrape", () => {
  it("shows each trader's readiness with whether it places real orders", async () => {
    const metrics = new EngineMetrics();
    let zerodhaReady = true;
    metrics.traders = () => [
      { namespace: "paper", live: false, ready: true },
      { namespace: "zerodha", live: true, ready: zerodhaReady },
    ];
    expect(
      sample(await metrics.render(), 'engine_trader_ready{namespace="zerodha",live="true"}'),
    ).toBe(1);
    zerodhaReady = false;
    const text = await metrics.render();
    expect(sample(text, 'engine_trader_ready{namespace="zerodha",live="true"}')).toBe(0);
    expect(sample(text, 'engine_trader_ready{namespace="paper",live="false"}')).toBe(1);
  });

  it("says the journal is down when the database fails or refuses to answer", async () => {
    const metrics = new EngineMetrics();
    metrics.journalPing = async () => true;
    expect(sample(await metrics.render(), "engine_journal_up")).toBe(1);
    metrics.journalPing = () => Promise.reject(new Error("connection refused"));
    expect(sample(await metrics.render(), "engine_journal_up")).toBe(0);
    metrics.journalPing = async () => false;
    expect(sample(await metrics.render(), "engine_journal_up")).toBe(0);
  });

  it("counts followed orders per state, back to 0 once a state empties", async () => {
    const metrics = new EngineMetrics();
    metrics.followed = () => [
      { namespace: "zerodha", byStatus: { unknown: 2, accepted: 1 }, oldestUnknownSeconds: 42 },
    ];
    let text = await metrics.render();
    expect(sample(text, 'engine_open_orders{namespace="zerodha",state="unknown"}')).toBe(2);
    expect(sample(text, 'engine_open_orders{namespace="zerodha",state="accepted"}')).toBe(1);
    expect(sample(text, 'engine_oldest_unknown_order_seconds{namespace="zerodha"}')).toBe(42);
    metrics.followed = () => [{ namespace: "zerodha", byStatus: {}, oldestUnknownSeconds: 0 }];
    text = await metrics.render();
    expect(sample(text, 'engine_open_orders{namespace="zerodha",state="unknown"}')).toBe(0);
    expect(sample(text, 'engine_oldest_unknown_order_seconds{namespace="zerodha"}')).toBe(0);
  });

  it("shows whether the instance lease lets this instance send orders", async () => {
    const metrics = new EngineMetrics();
    let healthy = true;
    metrics.leaseHealthy = () => healthy;
    expect(sample(await metrics.render(), "engine_instance_lease_healthy")).toBe(1);
    healthy = false;
    expect(sample(await metrics.render(), "engine_instance_lease_healthy")).toBe(0);
  });
});

describe("EngineMetrics.initialise", () => {
  it("starts the counters alerts watch at 0, so a first dead letter or duplicate order is an increase", async () => {
    const metrics = new EngineMetrics();
    metrics.initialise({ namespaces: ["zerodha"], inputTopics: ["ns.signals.validated"] });
    const text = await metrics.render();
    expect(sample(text, 'engine_dead_letters_total{topic="ns.signals.validated"}')).toBe(0);
    expect(sample(text, 'engine_fenced_writes_total{namespace="zerodha"}')).toBe(0);
    expect(
      sample(text, 'engine_order_anomalies_total{namespace="zerodha",anomaly="duplicate_order"}'),
    ).toBe(0);
  });
});
