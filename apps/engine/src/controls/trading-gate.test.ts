import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sql } from "../db/database.js";
import { startControls } from "../test-support/controls-testbed.js";
import { FakeBroker } from "../test-support/fake-broker.js";
import {
  ACTIVE_BATCH,
  eventsOf,
  eventually,
  intakeSignal,
  type ServiceOptions,
  type ServiceUnderTest,
  type SignalOptions,
  useServiceTestbed,
} from "../test-support/service-testbed.js";

const testbed = useServiceTestbed();

/** A live broker ("live1"), paper's fake, and the controls in front of both. */
async function setUp(
  controlOptions: Parameters<typeof startControls>[1] = {},
  serviceOptions: Partial<ServiceOptions> = {},
) {
  const broker = new FakeBroker("live1");
  const paper = new FakeBroker("paper", { followsOrders: false });
  const controls = await startControls(testbed.database(), controlOptions);
  const engine = await testbed.start({
    traders: [broker, paper],
    live: ["live1"],
    gate: controls.gate,
    ...serviceOptions,
  });
  return { broker, controls, engine };
}

/** Executes one signal; resolves with its first result event on `namespace`. */
async function trade(
  engine: ServiceUnderTest,
  options: Omit<SignalOptions, "targets"> & { targets?: string[] },
  namespace = "live1",
) {
  const signal = intakeSignal({ targets: [namespace], ...options });
  await engine.service.execute([signal], ACTIVE_BATCH);
  await engine.service.lanesIdle();
  const [first] = engine.published
    .map((message) => JSON.parse(message.value))
    .filter((event) => event.causation_id === signal.event.id && event.data.broker === namespace);
  return { signal, first };
}

async function journaledCode(signalId: string, namespace: string) {
  const rows = await testbed.database().rows<{ status: string; error_code: string | null }>(
    sql`select status, error_code from engine_execution_journal
        where signal_id = ${signalId} and namespace = ${namespace}`,
  );
  return rows[0];
}

function strategy(): string {
  return `s_${randomUUID().slice(0, 8)}`;
}

describe("trading state: HALTED", () => {
  it("refuses live and paper executions with TRADING_HALTED naming scope, operator and reason, sends nothing, and trades again on resume", async () => {
    const { broker, controls, engine } = await setUp();
    await controls.set({ scope: "global", state: "HALTED", reason: "exchange outage" });
    const live = await trade(engine, {});
    expect(live.first).toMatchObject({
      type: "order_failed",
      data: { error_code: "TRADING_HALTED", order_id: "N/A" },
    });
    expect(live.first.data.error_message).toContain("global");
    expect(live.first.data.error_message).toContain("operator ops");
    expect(live.first.data.error_message).toContain("exchange outage");
    const paper = await trade(engine, {}, "paper");
    expect(paper.first).toMatchObject({ data: { error_code: "TRADING_HALTED" } });
    expect(broker.totalSends).toBe(0);
    expect(await journaledCode(live.signal.event.id, "live1")).toEqual({
      status: "rejected",
      error_code: "TRADING_HALTED",
    });
    expect(
      (await controls.metrics.controlRefusals.get()).values.find(
        (value) => value.labels.namespace === "live1",
      )?.value,
    ).toBe(1);

    await controls.set({ scope: "global", state: "ACTIVE", reason: "exchange back" });
    const after = await trade(engine, {});
    expect(after.first).toMatchObject({ type: "order_placed" });
    expect(broker.totalSends).toBe(1);
  });

  it("refuses at sending an order halted while it waited for the shared order budget, and counts it once", async () => {
    const broker = new FakeBroker("live1", {
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    const controls = await startControls(testbed.database(), {
      limits: { maxOrdersPerMinute: 3 },
    });
    let haltWhileWaiting = false;
    const orderBudget = {
      take: async () => {
        if (haltWhileWaiting) {
          await controls.set({ scope: "global", state: "HALTED", reason: "exchange outage" });
        }
        return { taken: true as const, release: async () => {} };
      },
    };
    const engine = await testbed.start({
      traders: [broker],
      live: ["live1"],
      gate: controls.gate,
      orderBudget,
    });
    const busy = strategy();
    expect((await trade(engine, { strategyId: busy })).first.type).toBe("order_placed");
    haltWhileWaiting = true;
    const halted = await trade(engine, { strategyId: busy });
    expect(halted.first.data).toMatchObject({ error_code: "TRADING_HALTED", order_id: "N/A" });
    expect(broker.totalSends).toBe(1);

    haltWhileWaiting = false;
    await controls.set({ scope: "global", state: "ACTIVE", reason: "exchange back" });
    // Two orders counted so far (the halted one at its check): the third is within 3 a minute.
    expect((await trade(engine, { strategyId: busy })).first.type).toBe("order_placed");
    expect((await trade(engine, { strategyId: busy })).first.data).toMatchObject({
      error_code: "RISK_REJECTED",
    });
  });

  it("halts one strategy on one namespace only", async () => {
    const { controls, engine } = await setUp();
    const halted = strategy();
    await controls.set({
      scope: "strategy",
      strategy_id: halted,
      namespace: "live1",
      state: "HALTED",
      reason: "bad fills",
    });
    expect((await trade(engine, { strategyId: halted })).first.data.error_code).toBe(
      "TRADING_HALTED",
    );
    expect((await trade(engine, { strategyId: halted }, "paper")).first.type).not.toBe(
      "order_failed",
    );
    expect((await trade(engine, { strategyId: strategy() })).first.type).toBe("order_placed");
  });

  it("lets a halt lapse at its expiry", async () => {
    const { controls, engine } = await setUp();
    await controls.set({
      scope: "global",
      state: "HALTED",
      reason: "lunch",
      expires_at: new Date(Date.now() + 300).toISOString(),
    });
    expect((await trade(engine, {})).first.data.error_code).toBe("TRADING_HALTED");
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await trade(engine, {})).first.type).toBe("order_placed");
  });

  it("executes nothing before the control log was read (fail closed), then obeys the halt it held", async () => {
    const { broker, controls, engine } = await setUp({ started: false });
    await controls.set({ scope: "namespace", namespace: "live1", state: "HALTED", reason: "r" });
    const signal = intakeSignal({ targets: ["live1"] });
    let done = false;
    const execution = engine.service
      .execute([signal], ACTIVE_BATCH)
      .then(() => engine.service.lanesIdle())
      .then(() => {
        done = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(done).toBe(false);
    expect(engine.published).toHaveLength(0);
    await controls.board.start();
    await execution;
    expect(eventsOf(engine.published, "order_failed", signal.event.id)[0]?.data).toMatchObject({
      error_code: "TRADING_HALTED",
    });
    expect(broker.totalSends).toBe(0);
  });
});

describe("trading state: HALTED with cancel_open", () => {
  it("cancels the strategy's open orders, each ending in order_failed TRADING_HALTED; another strategy's order stays open", async () => {
    const { broker, controls, engine } = await setUp();
    broker.fillAfterLooks = null;
    const halted = strategy();
    const other = strategy();
    const first = await trade(engine, { strategyId: halted });
    const second = await trade(engine, { strategyId: halted, instrumentToken: 1001 });
    const kept = await trade(engine, { strategyId: other });
    for (const placed of [first, second, kept]) expect(placed.first.type).toBe("order_placed");

    const { sent } = await engine.service.cancelOpen(
      (execution) => execution.signal.data.original_signal.strategy_id === halted,
      { code: "TRADING_HALTED", message: "cancelled: trading halted" },
    );
    expect(sent).toBe(2);
    for (const cancelled of [first, second]) {
      await eventually(
        () => eventsOf(engine.published, "order_failed", cancelled.signal.event.id).length === 1,
        "the cancelled order's end",
      );
      expect(
        eventsOf(engine.published, "order_failed", cancelled.signal.event.id)[0]?.data,
      ).toMatchObject({ error_code: "TRADING_HALTED" });
    }
    expect(broker.cancels).toHaveLength(2);
    expect(eventsOf(engine.published, "order_failed", kept.signal.event.id)).toHaveLength(0);
    expect(await journaledCode(kept.signal.event.id, "live1")).toMatchObject({
      status: "accepted",
    });
    // The halt itself applies to new signals of the strategy once set.
    await controls.set({ scope: "strategy", strategy_id: halted, state: "HALTED", reason: "r" });
    expect((await trade(engine, { strategyId: halted })).first.data.error_code).toBe(
      "TRADING_HALTED",
    );
  });
});

describe("trading state: REDUCING", () => {
  it("refuses a BUY and passes a SELL for a long strategy; refuses a SELL that would flip the position", async () => {
    const { broker, controls, engine } = await setUp();
    const long = strategy();
    const bought = await trade(engine, { strategyId: long, quantity: 10 });
    expect(bought.first.type).toBe("order_placed");
    await eventually(
      () => eventsOf(engine.published, "order_filled", bought.signal.event.id).length === 1,
      "the fill",
    );
    expect(await controls.positions.net("live1", long, 738561)).toBe(10);

    await controls.set({ scope: "strategy", strategy_id: long, state: "REDUCING", reason: "risk" });
    const buy = await trade(engine, { strategyId: long, quantity: 1 });
    expect(buy.first.data).toMatchObject({ error_code: "REDUCE_ONLY" });
    expect(buy.first.data.error_message).toContain("net position of 10");
    const flip = await trade(engine, { strategyId: long, signalType: "SELL", quantity: 11 });
    expect(flip.first.data).toMatchObject({ error_code: "REDUCE_ONLY" });
    const sell = await trade(engine, { strategyId: long, signalType: "SELL", quantity: 4 });
    expect(sell.first.type).toBe("order_placed");
    await eventually(
      () => eventsOf(engine.published, "order_filled", sell.signal.event.id).length === 1,
      "the sell's fill",
    );
    expect(await controls.positions.positions({ strategyId: long })).toEqual([
      { namespace: "live1", strategy_id: long, instrument_token: 738561, net_quantity: 6 },
    ]);
    const rest = await trade(engine, { strategyId: long, signalType: "SELL", quantity: 6 });
    expect(rest.first.type).toBe("order_placed");
    expect(broker.totalSends).toBe(3);
  });
});

describe("trading state: REDUCING counts open orders", () => {
  it("judges a SELL as if the strategy's open SELLs filled: two SELLs that together flip a long are not both let through", async () => {
    const { broker, controls, engine } = await setUp();
    const long = strategy();
    const bought = await trade(engine, { strategyId: long, quantity: 10 });
    await eventually(
      () => eventsOf(engine.published, "order_filled", bought.signal.event.id).length === 1,
      "the fill",
    );
    await controls.set({ scope: "strategy", strategy_id: long, state: "REDUCING", reason: "r" });
    broker.fillAfterLooks = null;
    const open = await trade(engine, { strategyId: long, signalType: "SELL", quantity: 6 });
    expect(open.first.type).toBe("order_placed");
    const flip = await trade(engine, { strategyId: long, signalType: "SELL", quantity: 6 });
    expect(flip.first.data).toMatchObject({ error_code: "REDUCE_ONLY" });
    expect(flip.first.data.error_message).toContain("net position of 4 once its open orders fill");
    const within = await trade(engine, { strategyId: long, signalType: "SELL", quantity: 4 });
    expect(within.first.type).toBe("order_placed");
    expect(await controls.positions.exposure("live1", long, 738561)).toEqual({
      net: 10,
      openBuy: 0,
      openSell: 10,
    });
  });
});

describe("pre-trade limits", () => {
  it("refuses the order past max_orders_per_minute with RISK_REJECTED naming the rule, per strategy", async () => {
    const { engine } = await setUp({ limits: { maxOrdersPerMinute: 2 } });
    const busy = strategy();
    for (let i = 0; i < 2; i++) {
      expect((await trade(engine, { strategyId: busy })).first.type).toBe("order_placed");
    }
    const third = await trade(engine, { strategyId: busy });
    expect(third.first.data).toMatchObject({ error_code: "RISK_REJECTED" });
    expect(third.first.data.error_message).toContain("max_orders_per_minute");
    expect((await trade(engine, { strategyId: strategy() })).first.type).toBe("order_placed");
  });

  it("refuses exactly past max_order_quantity and the price collar, on paper too", async () => {
    const { engine } = await setUp({ limits: { maxOrderQuantity: 10, priceCollarPct: 5 } });
    expect((await trade(engine, { quantity: 10, price: 105 })).first.type).toBe("order_placed");
    const big = await trade(engine, { quantity: 11 });
    expect(big.first.data.error_message).toContain("max_order_quantity");
    const far = await trade(engine, { price: 105.5 }, "paper");
    expect(far.first.data).toMatchObject({ error_code: "RISK_REJECTED" });
    expect(far.first.data.error_message).toContain("price_collar_pct");
  });
});
