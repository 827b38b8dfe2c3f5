import { clientOrderId } from "@engine/core";
import { describe, expect, it } from "vitest";
import { sql } from "../db/database.js";
import { DatabaseUnavailableError } from "../errors/database-errors.js";
import { FakeBroker } from "../test-support/fake-broker.js";
import {
  ACTIVE_BATCH,
  eventsOf,
  eventually,
  intakeSignal,
  type ServiceUnderTest,
  useServiceTestbed,
} from "../test-support/service-testbed.js";

const testbed = useServiceTestbed();
const start = testbed.start;

/** Executes a batch and waits until its live orders were submitted (answered or timed out). */
async function submitAll(
  instance: ServiceUnderTest,
  signals: Parameters<ServiceUnderTest["service"]["execute"]>[0],
): Promise<void> {
  await instance.service.execute(signals, ACTIVE_BATCH);
  await instance.service.lanesIdle();
}

async function statusOf(signalId: string, namespace: string): Promise<string | undefined> {
  const rows = await testbed
    .database()
    .rows<{ status: string }>(
      sql`select status from engine_execution_journal where signal_id = ${signalId} and namespace = ${namespace}`,
    );
  return rows[0]?.status;
}

/** A shared order budget whose slot is held until the test lets it go. */
function heldBudget() {
  const held = {
    waiting: false,
    letGo: () => {},
    budget: {
      take: async () => {
        held.waiting = true;
        await new Promise<void>((resolve) => {
          held.letGo = resolve;
        });
        return { taken: true as const, release: async () => {} };
      },
    },
  };
  return held;
}

/** A shared order budget whose first `immediate` takes get a slot at once, later ones after `waitMs`. */
function slowBudget(immediate: number, waitMs: number) {
  const slow = {
    takes: 0,
    /** A take is waiting for its slot (or has waited). */
    waiting: false,
    budget: {
      take: async () => {
        slow.takes += 1;
        if (slow.takes > immediate) {
          slow.waiting = true;
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
        return { taken: true as const, release: async () => {} };
      },
    },
  };
  return slow;
}

describe("ExecutionService: one live order per signal", () => {
  it("submits once, publishes order_placed at once, then order_filled from a status report", async () => {
    const broker = new FakeBroker("live1");
    const engine = await start({ traders: [broker] });
    const signal = intakeSignal({ targets: ["live1"] });
    await submitAll(engine, [signal]);
    // Once the submission is answered, order_placed is out already.
    expect(eventsOf(engine.published, "order_placed", signal.event.id)).toHaveLength(1);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill",
    );
    expect(broker.totalSends).toBe(1);
    expect(await statusOf(signal.event.id, "live1")).toBe("filled");
  });

  it("returns a batch once its live executions are claimed: a slow lane holds up no later batch", async () => {
    const broker = new FakeBroker("live16");
    broker.script = () => ({ delayMs: 300 });
    const simulator = new FakeBroker("sim2");
    const engine = await start({ traders: [broker, simulator], live: ["live16"] });
    const lane = Array.from({ length: 10 }, () =>
      intakeSignal({ targets: ["live16"], orderingKey: "momentum_1" }),
    );
    const started = Date.now();
    await engine.service.execute(lane, ACTIVE_BATCH);
    const paper = intakeSignal({ targets: ["sim2"], orderingKey: "other_strategy" });
    await engine.service.execute([paper], ACTIVE_BATCH);
    await eventually(
      () => eventsOf(engine.published, "order_filled", paper.event.id).length === 1,
      "the later batch's fill",
    );
    // Long before the lane's ten 300 ms answers.
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(broker.totalSends).toBeLessThan(lane.length);
    await engine.service.lanesIdle();
    expect(broker.sendOrder).toEqual(
      lane.map((signal) => clientOrderId(signal.event.id, "live16")),
    );
    await eventually(
      () => eventsOf(engine.published, "order_filled").length === lane.length + 1,
      "every fill",
    );
  });

  it("leaves a submission that outlasts the timeout unknown, applies the late answer, places nothing twice", async () => {
    const broker = new FakeBroker("live2");
    broker.script = () => ({ delayMs: 600 });
    const engine = await start({ traders: [broker], executionTimeoutMs: 150 });
    const signals = Array.from({ length: 6 }, () =>
      intakeSignal({ targets: ["live2"], orderingKey: "momentum_1" }),
    );
    const started = Date.now();
    await submitAll(engine, signals);
    // Each submission held its lane only until the timeout, not until the broker answered.
    expect(Date.now() - started).toBeLessThan(6 * 600);
    await eventually(
      () => eventsOf(engine.published, "order_filled").length === signals.length,
      "every fill",
    );
    expect(eventsOf(engine.published, "order_failed")).toHaveLength(0);
    expect(eventsOf(engine.published, "order_placed")).toHaveLength(signals.length);
    for (const signal of signals) {
      const kinds = engine.published
        .map((m) => JSON.parse(m.value))
        .filter((e) => e.causation_id === signal.event.id)
        .map((e) => e.type);
      expect(kinds).toEqual(["order_placed", "order_filled"]);
    }
    expect([...broker.sends.values()].every((count) => count === 1)).toBe(true);
    // Submitted in the key's order.
    expect(broker.sendOrder).toEqual(signals.map((s) => clientOrderId(s.event.id, "live2")));
  });

  it("resolves an ambiguous answer by the broker's word: adopts an order that exists", async () => {
    const broker = new FakeBroker("live3", { orderVisibilityMs: 300 });
    broker.script = () => ({ answer: "unknown", create: true });
    broker.bookLagMs = 150;
    const engine = await start({ traders: [broker] });
    const signal = intakeSignal({ targets: ["live3"] });
    await submitAll(engine, [signal]);
    expect(await statusOf(signal.event.id, "live3")).toBe("unknown");
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill of the order found by its client order id",
    );
    expect(eventsOf(engine.published, "order_placed", signal.event.id)).toHaveLength(1);
    expect(eventsOf(engine.published, "order_failed", signal.event.id)).toHaveLength(0);
    expect(broker.totalSends).toBe(1);
  });

  it("counts an order left unknown in engine_open_orders and ages it until the broker settles it", async () => {
    const broker = new FakeBroker("live30", { orderVisibilityMs: 60_000 });
    broker.script = () => ({ answer: "unknown", create: false });
    const engine = await start({ traders: [broker] });
    engine.metrics.followed = () => engine.service.followed();
    const signal = intakeSignal({ targets: ["live30"] });
    await submitAll(engine, [signal]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = await engine.metrics.render();
    expect(text).toContain('engine_open_orders{namespace="live30",state="unknown"} 1');
    expect(text).toContain('engine_open_orders{namespace="live30",state="accepted"} 0');
    const age = Number(
      /engine_oldest_unknown_order_seconds\{namespace="live30"\} (\S+)/.exec(text)?.[1],
    );
    expect(age).toBeGreaterThanOrEqual(0.2);
    expect(age).toBeLessThan(10);
  });

  it("concludes absence only after the visibility window, then submits again; fails only after the last attempt", async () => {
    const broker = new FakeBroker("live4", { orderVisibilityMs: 400 });
    broker.script = () => ({ answer: "unknown", create: false });
    const engine = await start({ traders: [broker], maxSubmitAttempts: 2 });
    const signal = intakeSignal({ targets: ["live4"] });
    const started = Date.now();
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_failed", signal.event.id).length === 1,
      "the failure after the last attempt",
    );
    const elapsed = Date.now() - started;
    // Two windows of 400 ms passed before each conclusion.
    expect(elapsed).toBeGreaterThanOrEqual(800);
    expect(broker.sends.get([...broker.sends.keys()][0] ?? "")).toBe(2);
    const [failed] = eventsOf(engine.published, "order_failed", signal.event.id);
    expect(failed?.data).toMatchObject({ error_code: "BROKER_UNAVAILABLE", order_id: "N/A" });
  });

  it("does not fail a live order whose trader threw: it is unknown until the broker is asked", async () => {
    const broker = new FakeBroker("live5");
    broker.script = () => ({ answer: "throw", create: true });
    const engine = await start({ traders: [broker] });
    const signal = intakeSignal({ targets: ["live5"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill of the order the throwing call had placed",
    );
    expect(eventsOf(engine.published, "order_failed", signal.event.id)).toHaveLength(0);
  });

  it("takes no book read from before a placement's answer for a vanish: no vanished_order, the order fills", async () => {
    const broker = new FakeBroker("live31");
    // The first submission creates nothing; the second is answered after 300 ms, and its order
    // stays out of the lagging book for a second. A follower round reads the book during that
    // call, and its "absent" waits for the call's answer to be applied before it is.
    broker.script = (_id, attempt) =>
      attempt === 1 ? { answer: "unknown", create: false } : { delayMs: 300 };
    broker.bookLagMs = 1_000;
    const engine = await start({ traders: [broker] });
    const signal = intakeSignal({ targets: ["live31"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill of the second submission's order",
    );
    expect(broker.totalSends).toBe(2);
    expect(eventsOf(engine.published, "order_placed", signal.event.id)).toHaveLength(1);
    const vanished = await engine.metrics.anomalies.get();
    expect(
      vanished.values.filter((v) => v.labels.anomaly === "vanished_order" && v.value > 0),
    ).toEqual([]);
  });
});

describe("ExecutionService: ownership", () => {
  it("keeps a long lane's claims while its owner works on them: another instance takes nothing over", async () => {
    const brokerA = new FakeBroker("live6");
    brokerA.script = () => ({ delayMs: 60 });
    const a = await start({ traders: [brokerA], leaseMs: 1_000 });
    const brokerB = new FakeBroker("live6");
    const b = await start({ traders: [brokerB], leaseMs: 1_000 });
    // 40 submissions of 60 ms on one key: the lane lasts over twice the lease.
    const signals = Array.from({ length: 40 }, (_, n) =>
      intakeSignal({ targets: ["live6"], orderingKey: "momentum_1", instrumentToken: 1000 + n }),
    );
    await submitAll(a, signals);
    await eventually(
      () => eventsOf(a.published, "order_filled").length === signals.length,
      "every fill",
      20_000,
    );
    expect(brokerA.totalSends).toBe(signals.length);
    expect(brokerB.totalSends).toBe(0);
    expect(b.published).toHaveLength(0);
    expect(eventsOf(a.published, "order_placed")).toHaveLength(signals.length);
  });

  it("fences a cut-off owner: the taker resolves the order, the old owner's late answer is never published", async () => {
    // One broker, two instances of the engine in front of it.
    const broker = new FakeBroker("live7", { orderVisibilityMs: 200 });
    broker.script = () => ({ delayMs: 1_500 });
    const a = await start({ traders: [broker], leaseMs: 1_000, executionTimeoutMs: 5_000 });
    const signal = intakeSignal({ targets: ["live7"] });
    const submitted = submitAll(a, [signal]);
    await eventually(() => broker.totalSends === 1, "the order to reach the broker");
    await a.partition();
    const b = await start({ traders: [broker], leaseMs: 1_000 });
    await eventually(
      () => eventsOf(b.published, "order_filled", signal.event.id).length === 1,
      "the taker's fill",
    );
    await submitted;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsOf(a.published, "order_placed", signal.event.id)).toHaveLength(0);
    expect(eventsOf(a.published, "order_filled", signal.event.id)).toHaveLength(0);
    expect(eventsOf(b.published, "order_placed", signal.event.id)).toHaveLength(1);
    expect(broker.totalSends).toBe(1);
    expect(await a.metrics.fencedWrites.get()).toMatchObject({
      values: [expect.objectContaining({ value: 1 })],
    });
  });

  it("does not fail a submission withdrawn while the lease was at risk: the broker's book decides, one order", async () => {
    const broker = new FakeBroker("live15", { orderVisibilityMs: 100 });
    // The first submission waits in a queue long enough for the lease to be at risk.
    broker.script = (_id, attempt) => (attempt === 1 ? { queueMs: 700 } : {});
    const engine = await start({ traders: [broker], leaseMs: 600 });
    const signal = intakeSignal({ targets: ["live15"] });
    const submitted = submitAll(engine, [signal]);
    await eventually(
      async () => (await statusOf(signal.event.id, "live15")) === "submitted",
      "the submission",
    );
    engine.failRenewals(true);
    await eventually(() => !engine.lease.healthy(), "the lease at risk");
    await submitted;
    engine.failRenewals(false);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill of the order sent once the lease was renewed",
    );
    expect(eventsOf(engine.published, "order_failed", signal.event.id)).toHaveLength(0);
    expect(broker.totalSends).toBe(1);
  });

  it("places an order once whose lease was at risk while it waited for its budget slot and that nobody took over", async () => {
    const broker = new FakeBroker("live19", {
      orderVisibilityMs: 100,
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    let engine: ServiceUnderTest | undefined;
    const orderBudget = {
      take: async () => {
        // The wait outlasts two thirds of the lease, then the lease is renewed (a database away
        // for a while): nothing was journaled `submitted` yet, so nothing is withdrawn.
        if (engine && broker.totalSends === 0) {
          const running = engine;
          running.failRenewals(true);
          await eventually(() => running.lease.abortSignal.aborted, "the lease at risk");
          running.failRenewals(false);
          await running.lease.renew();
        }
        return { taken: true as const, release: async () => {} };
      },
    };
    engine = await start({ traders: [broker], leaseMs: 600, orderBudget, maxSubmitAttempts: 3 });
    const signal = intakeSignal({ targets: ["live19"] });
    await submitAll(engine, [signal]);
    const running = engine;
    await eventually(
      () => eventsOf(running.published, "order_filled", signal.event.id).length === 1,
      "the fill",
    );
    expect(broker.withdrawals).toBe(0);
    expect(broker.totalSends).toBe(1);
    const [row] = await testbed
      .database()
      .rows<{ attempts: number }>(
        sql`select (state->>'attempts')::int as attempts from engine_execution_journal where signal_id = ${signal.event.id}`,
      );
    expect(row?.attempts).toBe(1);
  });

  it("sends nothing from an owner cut off while it waited for its budget slot: the taker places the order once", async () => {
    const broker = new FakeBroker("live30", {
      orderVisibilityMs: 100,
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    const held = heldBudget();
    const a = await start({ traders: [broker], leaseMs: 1_000, orderBudget: held.budget });
    const signal = intakeSignal({ targets: ["live30"] });
    await a.service.execute([signal], ACTIVE_BATCH);
    await eventually(() => held.waiting, "the first owner waiting for its slot");
    await a.partition();
    const b = await start({ traders: [broker], leaseMs: 1_000 });
    await eventually(
      () => eventsOf(b.published, "order_filled", signal.event.id).length === 1,
      "the taker's fill",
    );
    held.letGo();
    await a.service.lanesIdle();
    expect(broker.totalSends).toBe(1);
    expect(eventsOf(a.published, "order_placed", signal.event.id)).toHaveLength(0);
  });

  it("never fails a simulated execution for want of a lease: simulators place no real order", async () => {
    const simulator = new FakeBroker("sim1");
    const engine = await start({ traders: [simulator], live: [], leaseMs: 600 });
    engine.failRenewals(true);
    await eventually(() => engine.lease.abortSignal.aborted, "the lease at risk");
    const signal = intakeSignal({ targets: ["sim1"] });
    await submitAll(engine, [signal]);
    expect(eventsOf(engine.published, "order_failed", signal.event.id)).toHaveLength(0);
    expect(simulator.totalSends).toBe(1);
  });

  it("withdraws a submission still queued in the trader at a graceful stop; the next owner places it once", async () => {
    const broker = new FakeBroker("live17", { orderVisibilityMs: 100 });
    broker.script = (_id, attempt) => (attempt === 1 ? { queueMs: 3_000 } : {});
    const a = await start({ traders: [broker], leaseMs: 1_000 });
    const signal = intakeSignal({ targets: ["live17"] });
    await a.service.execute([signal], ACTIVE_BATCH);
    await eventually(
      async () => (await statusOf(signal.event.id, "live17")) === "submitted",
      "the submission",
    );
    const stopping = Date.now();
    await a.stop();
    expect(Date.now() - stopping).toBeLessThan(2_500);
    expect(broker.totalSends).toBe(0);
    expect(await statusOf(signal.event.id, "live17")).toBe("unknown");
    expect(eventsOf(a.published, "order_failed", signal.event.id)).toHaveLength(0);
    const b = await start({ traders: [broker], leaseMs: 1_000 });
    await eventually(
      () => eventsOf(b.published, "order_filled", signal.event.id).length === 1,
      "the next owner's fill",
    );
    expect(broker.totalSends).toBe(1);
  });

  it("takes over a dead instance's pending and open executions where they stood", async () => {
    const broker = new FakeBroker("live8");
    broker.fillAfterLooks = null;
    const a = await start({ traders: [broker], leaseMs: 1_000 });
    const open = intakeSignal({ targets: ["live8"] });
    await submitAll(a, [open]);
    expect(eventsOf(a.published, "order_placed", open.event.id)).toHaveLength(1);
    await a.partition();
    await a.service.stop();
    const b = await start({ traders: [broker], leaseMs: 1_000 });
    const clientOrderId = broker.sendOrder[0] ?? "";
    await eventually(
      async () => (await statusOf(open.event.id, "live8")) === "accepted",
      "adoption",
    );
    broker.fill(clientOrderId);
    await eventually(
      () => eventsOf(b.published, "order_filled", open.event.id).length === 1,
      "the fill seen by the new owner",
    );
    // order_placed was published by the first owner and is not published again.
    expect(eventsOf(b.published, "order_placed", open.event.id)).toHaveLength(0);
    expect(broker.totalSends).toBe(1);
  });
});

describe("ExecutionService: time in force and cancel", () => {
  it("cancels an order open past its time in force: order_failed ORDER_EXPIRED", async () => {
    const broker = new FakeBroker("live9");
    broker.fillAfterLooks = null;
    const engine = await start({ traders: [broker], orderTtlMs: 300 });
    const signal = intakeSignal({ targets: ["live9"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_failed", signal.event.id).length === 1,
      "the expiry",
    );
    const [failed] = eventsOf(engine.published, "order_failed", signal.event.id);
    expect(failed?.data).toMatchObject({ error_code: "ORDER_EXPIRED" });
    expect(failed?.data.order_id).not.toBe("N/A");
    expect(broker.cancels).toHaveLength(1);
    expect(await statusOf(signal.event.id, "live9")).toBe("expired");
  });

  it("reports other orders' fills while an expired order's cancel waits for the shared order budget", async () => {
    const broker = new FakeBroker("live28", {
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    broker.fillAfterLooks = null;
    let cancelWaiting = false;
    const orderBudget = {
      take: async (_namespace: string, _budget: unknown, kind: string) => {
        if (kind === "cancel") {
          cancelWaiting = true;
          await new Promise((resolve) => setTimeout(resolve, 4_000));
        }
        return { taken: true as const, release: async () => {} };
      },
    };
    const engine = await start({ traders: [broker], orderBudget, orderTtlMs: 300 });
    const expiring = intakeSignal({ targets: ["live28"], instrumentToken: 1 });
    await submitAll(engine, [expiring]);
    await eventually(() => cancelWaiting, "the expired order's cancel waiting for its slot");
    const resting = intakeSignal({ targets: ["live28"], instrumentToken: 2 });
    await submitAll(engine, [resting]);
    broker.fill(clientOrderId(resting.event.id, "live28"));
    await eventually(
      () => eventsOf(engine.published, "order_filled", resting.event.id).length === 1,
      "the other order's fill, before the cancel's slot",
      2_000,
    );
    await eventually(
      () => eventsOf(engine.published, "order_failed", expiring.event.id).length === 1,
      "the expiry once the cancel went",
    );
    expect(broker.cancels).toEqual([clientOrderId(expiring.event.id, "live28")]);
  }, 15_000);

  it("ends a partly filled order that expires in one order_filled with the filled quantity", async () => {
    const broker = new FakeBroker("live10");
    broker.fillAfterLooks = null;
    const engine = await start({ traders: [broker], orderTtlMs: 400 });
    const signal = intakeSignal({ targets: ["live10"], quantity: 10 });
    await submitAll(engine, [signal]);
    broker.fill(broker.sendOrder[0] ?? "", 4);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the partial fill's end",
    );
    const [filled] = eventsOf(engine.published, "order_filled", signal.event.id);
    expect(filled?.data).toMatchObject({ quantity: 4 });
    expect(eventsOf(engine.published, "order_failed", signal.event.id)).toHaveLength(0);
  });
});

describe("ExecutionService: refusals and redelivery", () => {
  it("refuses a live signal older than the maximum age with STALE_SIGNAL, and sends nothing", async () => {
    const broker = new FakeBroker("live11");
    const engine = await start({
      traders: [broker],
      signalAge: { maxAgeMs: 1_000, clockSkewMs: 0 },
    });
    const stale = intakeSignal({
      targets: ["live11"],
      timestamp: new Date(Date.now() - 5_000).toISOString(),
    });
    await submitAll(engine, [stale]);
    const [failed] = eventsOf(engine.published, "order_failed", stale.event.id);
    expect(failed?.data).toMatchObject({ error_code: "STALE_SIGNAL" });
    expect(broker.totalSends).toBe(0);
  });

  it("refuses a live signal dated ahead of this host's clock beyond the skew allowance: its age cannot be judged", async () => {
    const broker = new FakeBroker("live18");
    const engine = await start({
      traders: [broker],
      signalAge: { maxAgeMs: 30_000, clockSkewMs: 1_000 },
    });
    const ahead = intakeSignal({
      targets: ["live18"],
      timestamp: new Date(Date.now() + 60_000).toISOString(),
    });
    const withinSkew = intakeSignal({
      targets: ["live18"],
      timestamp: new Date(Date.now() + 500).toISOString(),
    });
    await submitAll(engine, [ahead, withinSkew]);
    const [failed] = eventsOf(engine.published, "order_failed", ahead.event.id);
    expect(failed?.data).toMatchObject({ error_code: "INVALID_SIGNAL" });
    expect(failed?.data.error_message).toMatch(/ahead of this host's clock/);
    expect(broker.sendOrder).toEqual([clientOrderId(withinSkew.event.id, "live18")]);
  });

  it("refuses a market-closed signal on every target without calling a trader", async () => {
    const broker = new FakeBroker("live12");
    const engine = await start({ traders: [broker] });
    const closed = intakeSignal({ targets: ["live12"], disposition: "market_closed" });
    await submitAll(engine, [closed]);
    expect(eventsOf(engine.published, "order_failed", closed.event.id)[0]?.data).toMatchObject({
      error_code: "MARKET_CLOSED",
    });
    expect(broker.totalSends).toBe(0);
  });

  it("republishes a redelivered signal's stored results with the same ids and calls no trader", async () => {
    const broker = new FakeBroker("live13");
    const engine = await start({ traders: [broker] });
    const signal = intakeSignal({ targets: ["live13"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill",
    );
    const first = engine.published.map((m) => JSON.parse(m.value).id);
    engine.published.length = 0;
    await submitAll(engine, [signal]);
    expect(engine.published.map((m) => JSON.parse(m.value).id)).toEqual(first);
    expect(broker.totalSends).toBe(1);
  });
});

describe("ExecutionService: the checks made again when an order goes out", () => {
  /** A gate that lets everything through its first check, and refuses at sending once halted. */
  function haltableGate() {
    const gate = {
      halted: false,
      rechecks: 0,
      ready: async () => {},
      check: async () => null,
      recheck: async (_execution: unknown, at: number) => {
        gate.rechecks += 1;
        return gate.halted
          ? { type: "refuse" as const, code: "TRADING_HALTED" as const, message: "halted", at }
          : null;
      },
    };
    return gate;
  }

  it("sends nothing halted while it waited for the shared order budget: TRADING_HALTED, the slot released", async () => {
    const broker = new FakeBroker("live21", {
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    const gate = haltableGate();
    let released = 0;
    const orderBudget = {
      take: async () => {
        // The halt lands while the order waits its turn at the broker's pace.
        gate.halted = true;
        return {
          taken: true as const,
          release: async () => {
            released += 1;
          },
        };
      },
    };
    const engine = await start({ traders: [broker], gate, orderBudget });
    const signal = intakeSignal({ targets: ["live21"] });
    await submitAll(engine, [signal]);
    const [failed] = eventsOf(engine.published, "order_failed", signal.event.id);
    expect(failed?.data).toMatchObject({ error_code: "TRADING_HALTED" });
    expect(broker.totalSends).toBe(0);
    await eventually(() => released === 1, "the budget slot given back");
    expect(await statusOf(signal.event.id, "live21")).toBe("rejected");
  });

  it("sends nothing that grew stale while it waited for the shared order budget: STALE_SIGNAL", async () => {
    const broker = new FakeBroker("live22", {
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    const orderBudget = {
      take: async () => {
        await new Promise((resolve) => setTimeout(resolve, 700));
        return { taken: true as const, release: async () => {} };
      },
    };
    const engine = await start({
      traders: [broker],
      orderBudget,
      signalAge: { maxAgeMs: 1_000, clockSkewMs: 0 },
    });
    // Fresh when it is claimed (0.5 s old), stale when its slot comes (1.2 s).
    const signal = intakeSignal({
      targets: ["live22"],
      timestamp: new Date(Date.now() - 500).toISOString(),
    });
    await submitAll(engine, [signal]);
    const [failed] = eventsOf(engine.published, "order_failed", signal.event.id);
    expect(failed?.data).toMatchObject({ error_code: "STALE_SIGNAL" });
    expect(broker.totalSends).toBe(0);
  });

  it("withdraws a submission a halt finds queued in the trader: nothing sent, it ends TRADING_HALTED", async () => {
    const broker = new FakeBroker("live24", { orderVisibilityMs: 200 });
    // The trader's own rate limiter holds the order for a while before sending it.
    broker.script = () => ({ queueMs: 1_500 });
    const gate = haltableGate();
    const engine = await start({ traders: [broker], gate });
    const signal = intakeSignal({ targets: ["live24"] });
    await engine.service.execute([signal], ACTIVE_BATCH);
    // In the trader's queue by now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    gate.halted = true;
    expect(engine.service.withdrawSubmissions(() => true)).toBe(1);
    await eventually(
      () => eventsOf(engine.published, "order_failed", signal.event.id).length === 1,
      "the end once the broker confirmed it absent",
    );
    const [failed] = eventsOf(engine.published, "order_failed", signal.event.id);
    expect(failed?.data).toMatchObject({ error_code: "TRADING_HALTED" });
    expect(broker.withdrawals).toBe(1);
    expect(broker.totalSends).toBe(0);
  });

  it("ends a re-submission already stale without waiting for the shared order budget", async () => {
    const broker = new FakeBroker("live25", {
      orderVisibilityMs: 300,
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    broker.script = () => ({ answer: "unknown", create: false });
    // The first attempt gets its slot; a later one would wait long for it.
    const slow = slowBudget(1, 20_000);
    const engine = await start({
      traders: [broker],
      orderBudget: slow.budget,
      maxSubmitAttempts: 3,
      signalAge: { maxAgeMs: 1_000, clockSkewMs: 0 },
    });
    // Fresh at its first attempt, stale once the broker confirmed that attempt absent.
    const signal = intakeSignal({
      targets: ["live25"],
      timestamp: new Date(Date.now() - 800).toISOString(),
    });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_failed", signal.event.id).length === 1,
      "the end of the re-submission",
    );
    const [failed] = eventsOf(engine.published, "order_failed", signal.event.id);
    expect(failed?.data).toMatchObject({ error_code: "STALE_SIGNAL" });
    expect(slow.takes).toBe(1);
    expect(broker.totalSends).toBe(1);
  });

  it("journals no attempt while an order waits for the shared order budget: a process killed then leaves it pending", async () => {
    const broker = new FakeBroker("live27", {
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    const held = heldBudget();
    const engine = await start({ traders: [broker], orderBudget: held.budget });
    const signal = intakeSignal({ targets: ["live27"] });
    await engine.service.execute([signal], ACTIVE_BATCH);
    await eventually(() => held.waiting, "the wait for a slot");
    expect(await statusOf(signal.event.id, "live27")).toBe("pending");
    held.letGo();
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill once the slot came",
    );
    expect(broker.totalSends).toBe(1);
  });

  it("holds an order while the shared order budget cannot be read, then sends it once", async () => {
    const broker = new FakeBroker("live29", {
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    let takes = 0;
    const orderBudget = {
      take: async () => {
        takes += 1;
        if (takes <= 2) throw new DatabaseUnavailableError(new Error("connection refused"));
        return { taken: true as const, release: async () => {} };
      },
    };
    const engine = await start({ traders: [broker], orderBudget });
    const signal = intakeSignal({ targets: ["live29"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill once the budget could be read",
    );
    expect(takes).toBe(3);
    expect(broker.totalSends).toBe(1);
  });

  it("reports other orders' fills while a re-submission waits for the shared order budget", async () => {
    const broker = new FakeBroker("live26", {
      orderVisibilityMs: 100,
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    broker.fillAfterLooks = null;
    const resting = intakeSignal({ targets: ["live26"], instrumentToken: 1 });
    const lost = intakeSignal({ targets: ["live26"], instrumentToken: 2 });
    const lostId = clientOrderId(lost.event.id, "live26");
    // The second signal's first attempt never reaches the broker's book: it is submitted again.
    broker.script = (id, attempt) =>
      id === lostId && attempt === 1 ? { answer: "unknown", create: false } : {};
    // The re-submission waits long for its turn (a queue of placements at 1 a second).
    const slow = slowBudget(2, 6_000);
    const engine = await start({
      traders: [broker],
      orderBudget: slow.budget,
      maxSubmitAttempts: 3,
    });
    await submitAll(engine, [resting, lost]);
    await eventually(() => slow.waiting, "the re-submission waiting for its slot");
    // Follower rounds go on meanwhile: one more round has asked about the waiting execution.
    await new Promise((resolve) => setTimeout(resolve, 300));
    broker.fill(clientOrderId(resting.event.id, "live26"));
    await eventually(
      () => eventsOf(engine.published, "order_filled", resting.event.id).length === 1,
      "the resting order's fill, before the re-submission's slot",
      3_000,
    );
    expect(eventsOf(engine.published, "order_placed", lost.event.id)).toHaveLength(0);
  }, 15_000);

  it("looks a re-submission's order up again once its budget slot is taken: one listed meanwhile is adopted, not placed twice", async () => {
    const broker = new FakeBroker("live27", {
      orderVisibilityMs: 100,
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    // The first attempt is created but answered 502, and the book lists it only after 1.5 s:
    // longer than the visibility window, so its absence is concluded before it shows.
    broker.script = (_id, attempt) => (attempt === 1 ? { answer: "unknown", create: true } : {});
    broker.bookLagMs = 1_500;
    // The re-submission waits 2 s for its slot, past the listing.
    const slow = slowBudget(1, 2_000);
    const engine = await start({
      traders: [broker],
      orderBudget: slow.budget,
      maxSubmitAttempts: 3,
    });
    const signal = intakeSignal({ targets: ["live27"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill of the first attempt's order",
      6_000,
    );
    expect(slow.takes).toBe(2);
    expect(broker.totalSends).toBe(1);
    expect(broker.duplicates).toHaveLength(0);
    expect(eventsOf(engine.published, "order_placed", signal.event.id)).toHaveLength(1);
  }, 15_000);

  it("raises duplicate_order when an attempt concluded absent is listed after its execution ended", async () => {
    const broker = new FakeBroker("live28", { orderVisibilityMs: 100 });
    // The book lists every order 800 ms late: the first attempt (created, answered 502) is
    // concluded absent and placed again before it shows, as a second order.
    broker.script = (_id, attempt) => (attempt === 1 ? { answer: "unknown", create: true } : {});
    broker.bookLagMs = 800;
    const engine = await start({ traders: [broker], maxSubmitAttempts: 3 });
    const signal = intakeSignal({ targets: ["live28"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill of the second attempt's order",
    );
    expect(broker.duplicates).toHaveLength(1);
    const duplicates = async () =>
      (await engine.metrics.anomalies.get()).values.find(
        (v) => v.labels.namespace === "live28" && v.labels.anomaly === "duplicate_order",
      )?.value ?? 0;
    await eventually(async () => (await duplicates()) === 1, "the duplicate raised", 3_000);
    // Once, not every round.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await duplicates()).toBe(1);
    expect(eventsOf(engine.published, "order_filled", signal.event.id)).toHaveLength(1);
  });

  it("looks a re-submission's order up before failing it for want of a budget slot: one listed is adopted", async () => {
    const broker = new FakeBroker("live29", {
      orderVisibilityMs: 100,
      orderBudget: { perSecond: 10, perMinute: 400, perDay: 3_000 },
    });
    broker.script = (_id, attempt) => (attempt === 1 ? { answer: "unknown", create: true } : {});
    broker.bookLagMs = 400;
    let takes = 0;
    const orderBudget = {
      take: async () => {
        takes += 1;
        if (takes === 1) return { taken: true as const, release: async () => {} };
        // The re-submission gets no slot, after the first attempt is listed.
        await new Promise((resolve) => setTimeout(resolve, 600));
        return { taken: false as const, reason: "no room in the order budget" };
      },
    };
    const engine = await start({ traders: [broker], orderBudget, maxSubmitAttempts: 3 });
    const signal = intakeSignal({ targets: ["live29"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_filled", signal.event.id).length === 1,
      "the fill of the first attempt's order",
    );
    expect(takes).toBe(2);
    expect(eventsOf(engine.published, "order_failed", signal.event.id)).toHaveLength(0);
    expect(broker.totalSends).toBe(1);
  });

  it("raises order_after_failure when the broker lists an order for an execution reported failed", async () => {
    const broker = new FakeBroker("live30", { orderVisibilityMs: 100 });
    // One attempt, created but answered 502, listed 800 ms late: concluded absent before.
    broker.script = () => ({ answer: "unknown", create: true });
    broker.bookLagMs = 800;
    const engine = await start({ traders: [broker], maxSubmitAttempts: 1 });
    const signal = intakeSignal({ targets: ["live30"] });
    await submitAll(engine, [signal]);
    await eventually(
      () => eventsOf(engine.published, "order_failed", signal.event.id).length === 1,
      "the failure concluded from absence",
    );
    const [failed] = eventsOf(engine.published, "order_failed", signal.event.id);
    expect(failed?.data).toMatchObject({ error_code: "BROKER_UNAVAILABLE" });
    const raised = async () =>
      (await engine.metrics.anomalies.get()).values.find(
        (v) => v.labels.namespace === "live30" && v.labels.anomaly === "order_after_failure",
      )?.value ?? 0;
    await eventually(async () => (await raised()) === 1, "order_after_failure raised", 3_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await raised()).toBe(1);
  });

  it("does not submit again under a halt set after a first attempt the broker confirmed absent", async () => {
    const broker = new FakeBroker("live23", { orderVisibilityMs: 200 });
    broker.script = () => ({ answer: "unknown", create: false });
    const gate = haltableGate();
    const engine = await start({ traders: [broker], gate, maxSubmitAttempts: 3 });
    const signal = intakeSignal({ targets: ["live23"] });
    await submitAll(engine, [signal]);
    expect(broker.totalSends).toBe(1);
    gate.halted = true;
    await eventually(
      () => eventsOf(engine.published, "order_failed", signal.event.id).length === 1,
      "the end of the execution once its absence is confirmed",
    );
    const [failed] = eventsOf(engine.published, "order_failed", signal.event.id);
    expect(failed?.data).toMatchObject({ error_code: "TRADING_HALTED" });
    expect(broker.totalSends).toBe(1);
    expect(gate.rechecks).toBe(2);
  });
});

describe("ExecutionService: long lanes on the embedded database", () => {
  it("carries a 420-signal lane on one key through PGlite to its fills", async () => {
    const broker = new FakeBroker("live14");
    const engine = await start({ traders: [broker] });
    const signals = Array.from({ length: 420 }, (_, n) =>
      intakeSignal({
        targets: ["live14", "paper"].slice(0, 1),
        orderingKey: "momentum_1",
        instrumentToken: 5000 + n,
      }),
    );
    const started = performance.now();
    await submitAll(engine, signals);
    console.info(`submitted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await eventually(
      () => eventsOf(engine.published, "order_filled").length === signals.length,
      "every fill",
      60_000,
    );
    const seconds = (performance.now() - started) / 1000;
    expect(broker.totalSends).toBe(signals.length);
    expect(eventsOf(engine.published, "order_failed")).toHaveLength(0);
    // Not an assertion of speed: the figure is printed for whoever reads the run.
    console.info(`420-signal lane on PGlite: ${seconds.toFixed(1)} s`);
  }, 90_000);
});
