import { clientOrderId } from "@engine/core";
import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "../errors/database-errors.js";
import type { PositionLedger } from "../journal/position-ledger.js";
import { startControls } from "../test-support/controls-testbed.js";
import { FakeBroker } from "../test-support/fake-broker.js";
import { useHttpTestbed } from "../test-support/http-testbed.js";
import {
  ACTIVE_BATCH,
  eventually,
  intakeSignal,
  useServiceTestbed,
} from "../test-support/service-testbed.js";
import { registerConsole } from "./console-routes.js";
import { RecentActivity } from "./recent-activity.js";

const testbed = useServiceTestbed();
const http = useHttpTestbed();

/** An execution service whose results feed the console, served on a real port. */
async function consoleOn(options: { lag: boolean; fills?: PositionLedger["fills"] }) {
  const activity = new RecentActivity({ now: () => Date.now() });
  const lines: string[] = [];
  const broker = new FakeBroker("live1");
  const engine = await testbed.start({
    traders: [broker],
    onPublished: (result) => activity.recordResult(result),
    // As with LOG_FORMAT=lines: the terminal's sink takes results instead of the log.
    onResult: (line) => lines.push(line.outcome),
  });
  const controls = await startControls(testbed.database());
  const url = await http.serve((app) =>
    registerConsole(app, {
      activity,
      board: controls.board,
      positions: options.fills ? { fills: options.fills } : controls.positions,
      instanceId: engine.instanceId,
      mode: options.lag ? "kafka" : "embedded",
      adminWritable: false,
      namespaces: () => ["live1"],
      health: () => ({ live1: { status: "unavailable", reason: "token expired" } }),
      openOrders: () => engine.service.openExecutions(),
      orderBudget: () => ({ perSecond: 10, perMinute: 200, perDay: 3_000 }),
      budgetInUse: async () => ({ second: 1, minute: 2, day: 3 }),
      consumerLag: async () =>
        options.lag ? [{ topic: "ns.signals.validated", partition: "0", lag: 5 }] : null,
    }),
  );
  return { url, engine, broker, controls, lines };
}

async function json(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("the console's API over an execution service", () => {
  it("streams an execution's placed and filled rows as server-sent events (beside the terminal's lines), and lists them newest first", async () => {
    const { url, engine, lines } = await consoleOn({ lag: false });
    const controller = new AbortController();
    const stream = await fetch(`${url}/api/events`, { signal: controller.signal });
    expect(stream.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = stream.body?.pipeThrough(new TextDecoderStream()).getReader();
    if (!reader) throw new Error("no body");
    let received = "";

    const signal = intakeSignal({ targets: ["live1"], quantity: 6 });
    await engine.service.execute([signal], ACTIVE_BATCH);
    while (!received.includes('"state":"filled"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      received += value;
    }
    controller.abort();
    expect(lines).toEqual(["placed", "filled"]);
    const frames = received.split("\n\n").filter((frame) => frame.startsWith("event: execution"));
    expect(frames.map((frame) => JSON.parse(frame.split("data: ")[1] ?? "").state)).toEqual([
      "placed",
      "filled",
    ]);

    const { executions } = (await json(`${url}/api/executions`)) as {
      executions: { signal_id: string; state: string; filled_quantity: number }[];
    };
    expect(executions).toMatchObject([
      { signal_id: signal.event.id, state: "filled", filled_quantity: 6 },
    ]);
    expect(await json(`${url}/api/executions?state=failed`)).toEqual({ executions: [] });
    expect((await fetch(`${url}/api/executions?state=bogus`)).status).toBe(400);
  });

  it("computes realised P&L from the journal's fills by average cost", async () => {
    const { url, engine, broker } = await consoleOn({ lag: false });
    const buy = intakeSignal({ targets: ["live1"], strategyId: "pnl_s", quantity: 10 });
    await engine.service.execute([buy], ACTIVE_BATCH);
    await eventually(() => engine.service.openExecutions().live1 === 0, "the buy filled");
    const sell = intakeSignal({
      targets: ["live1"],
      strategyId: "pnl_s",
      signalType: "SELL",
      quantity: 4,
    });
    // The fake broker fills at the last price (100): the sale rests, then fills 10 higher.
    broker.fillAfterLooks = null;
    await engine.service.execute([sell], ACTIVE_BATCH);
    await engine.service.lanesIdle();
    const order = broker.orders.get(clientOrderId(sell.event.id, "live1"));
    if (!order) throw new Error("the sale did not reach the broker");
    order.price = 110;
    broker.fill(order.clientOrderId);
    type Pnl = { positions: { strategy_id: string; fills: number }[]; strategies: unknown[] };
    const ofStrategy = async () => {
      const body = (await json(`${url}/api/positions`)) as Pnl;
      return {
        positions: body.positions.filter((p) => p.strategy_id === "pnl_s"),
        strategies: body.strategies.filter(
          (s) => (s as { strategy_id: string }).strategy_id === "pnl_s",
        ),
      };
    };
    await eventually(
      async () => (await ofStrategy()).positions[0]?.fills === 2,
      "the sell's fill in the journal",
    );
    // Average cost 100; 4 units sold 10 above it.
    expect(await ofStrategy()).toMatchObject({
      positions: [{ namespace: "live1", strategy_id: "pnl_s", net_quantity: 6, average_cost: 100 }],
      strategies: [
        { namespace: "live1", strategy_id: "pnl_s", realised_pnl: 40, fees: 0, net_pnl: 40 },
      ],
    });
    expect(await json(`${url}/api/positions`)).toMatchObject({ method: "average_cost" });
  });

  it("answers 503 naming the failure while the database is away, not a server error", async () => {
    const { url } = await consoleOn({
      lag: false,
      fills: () => Promise.reject(new DatabaseUnavailableError(new Error("connection refused"))),
    });
    const answer = await fetch(`${url}/api/positions`);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({
      error: "database unavailable: connection refused",
    });
  });

  it("reports namespaces with health, open orders, budget and scopes; lag as not applicable without Kafka", async () => {
    const { url, controls } = await consoleOn({ lag: false });
    await controls.set({
      scope: "namespace",
      namespace: "live1",
      state: "REDUCING",
      reason: "eod",
    });
    expect(await json(`${url}/api/namespaces`)).toMatchObject({
      caught_up: true,
      namespaces: [
        {
          namespace: "live1",
          health: { status: "unavailable", reason: "token expired" },
          budget: { limits: { perSecond: 10 }, in_use: { second: 1, minute: 2, day: 3 } },
        },
      ],
      scopes: [{ key: "namespace:live1", state: "REDUCING", reason: "eod" }],
    });
    expect(await json(`${url}/api/lag`)).toMatchObject({ applicable: false });
    expect(await json(`${url}/api/overview`)).toMatchObject({
      mode: "embedded",
      admin_writable: false,
    });
  });

  it("sums the consumer lag on Kafka, and serves the page with a same-origin policy and the chart libraries", async () => {
    const { url } = await consoleOn({ lag: true });
    expect(await json(`${url}/api/lag`)).toMatchObject({ applicable: true, total: 5 });
    const page = await fetch(`${url}/`);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script src="/assets/console.js" type="module">');
    for (const asset of [
      "console.js",
      "console.css",
      "vendor/vega.min.js",
      "vendor/vega-lite.min.js",
    ]) {
      const response = await fetch(`${url}/assets/${asset}`);
      expect(response.status, asset).toBe(200);
      await response.arrayBuffer();
    }
    expect((await fetch(`${url}/assets/vendor/vega-schema.json`)).status).toBe(404);
  });
});
