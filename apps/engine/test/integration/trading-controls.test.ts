import type { KiteEmulator } from "@engine/kite-emulator";
import { orderTag } from "@engine/trader-zerodha";
import { describe, expect } from "vitest";
import {
  type ControlChange,
  controlEnv,
  postControl,
  stateOn,
  waitForControlState,
} from "./test-support/controls.js";
import { KAFKA_BROKERS } from "./test-support/environment.js";
import { FILE_SCOPE, type RunCli, zerodhaTest } from "./test-support/fixtures.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import { uniqueName } from "./test-support/kafka.js";
import { idsOf, validatedSignal } from "./test-support/messages.js";
import { sleep } from "./test-support/probes.js";
import {
  partitionOf,
  type SignalEvent,
  sendSignals,
  strategiesCoveringPartitions,
} from "./test-support/signal-stream.js";
import {
  NSE_EQUITIES,
  priceOf,
  putZerodhaStrategy,
  type ZerodhaBench,
} from "./test-support/zerodha-harness.js";

const ADMIN_TOKEN = "tc-admin-token-0123456789";
const PARTITIONS = 3;
const tokens = NSE_EQUITIES.slice(0, 4).map((row) => row.token);
// Two strategies whose keys over the tokens cover every partition, so both instances get work.
const [strategyA = "", strategyB = ""] = strategiesCoveringPartitions(
  ["tc_a_", "tc_b_"],
  tokens,
  PARTITIONS,
);

/** Two instances in one group, trading LIMIT orders, obeying the file's control topic. */
const it = zerodhaTest.extend("options", FILE_SCOPE, {
  label: "tc",
  kite: { fillDelayMs: 50 },
  env: { ZERODHA_ORDER_TYPE: "limit", ...controlEnv("tc", ADMIN_TOKEN) },
  instances: 2,
  strategyIds: [strategyA, strategyB],
  tokens,
});

/**
 * Issue 13: an operator's trading state on the control topic, obeyed by every instance; the admin
 * API and the CLI that change it; a halt that cancels open orders.
 */
describe("trading controls on two running instances, one Kite emulator", () => {
  // The file's fixtures, bound once: every test below works on the same two instances.
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;
  let signalTopic: string;
  let first: TestEngine;
  let second: TestEngine;

  it.beforeAll(({ emulator: e, bench: b, site, instances }) => {
    const [one, two] = instances;
    if (!one || !two) throw new Error("two instances expected");
    [emulator, bench, signalTopic, first, second] = [e, b, site.signalTopic, one, two];
  });

  function url(engine: TestEngine, path: string): string {
    return `http://127.0.0.1:${engine.running.httpPort}${path}`;
  }

  function control(engine: TestEngine, change: ControlChange, token: string | null = ADMIN_TOKEN) {
    return postControl(engine.running.httpPort, change, token);
  }

  /** A BUY at `factor` × the market: above it fills at once, below it rests open at Kite. */
  function buy(strategyId: string, token: number, factor: number): SignalEvent {
    const signal = validatedSignal({
      strategyId,
      instrumentToken: token,
      quantity: 2,
      price: Math.round(priceOf(token) * factor * 20) / 20,
    });
    bench.ledger.watch([signal.id]);
    return signal;
  }

  /** Signals over both strategies and every token, covering every partition of the signal topic. */
  function spread(factor: number): SignalEvent[] {
    const signals = [strategyA, strategyB].flatMap((s) => tokens.map((t) => buy(s, t, factor)));
    const partitions = new Set(signals.map((s) => partitionOf(s.key, PARTITIONS)));
    expect(partitions.size).toBe(PARTITIONS);
    return signals;
  }

  /** Waits until both instances see `state` for the strategy; resolves with how long it took, ms. */
  function bothSee(state: string, strategyId: string, since: number): Promise<number> {
    return waitForControlState([first, second], state, strategyId, { timeoutMs: 10_000, since });
  }

  function refusals(engine: TestEngine): Promise<number> {
    return engine.running.metrics.controlRefusals
      .get()
      .then((metric) => metric.values.reduce((sum, value) => sum + value.value, 0));
  }

  it("halts globally through the API: both instances refuse the next signals with TRADING_HALTED within 1 s, no order reaches Kite; resume trades again", async () => {
    const ordersBefore = emulator.orders().length;
    const before = [await refusals(first), await refusals(second)];
    const posted = Date.now();
    const answer = await control(first, {
      scope: "global",
      state: "HALTED",
      reason: "kill switch drill",
    });
    expect(answer.status).toBe(202);
    expect(await bothSee("HALTED", strategyA, posted)).toBeLessThan(1_000);

    const signals = spread(1.01);
    await sendSignals(bench.producer, signalTopic, signals);
    await bench.ledger.waitForEnds(idsOf(signals), 30_000);
    for (const signal of signals) {
      const outcome = bench.ledger.of(signal.id);
      expect(outcome.placed).toHaveLength(0);
      expect(outcome.failed[0]?.json.data).toMatchObject({ error_code: "TRADING_HALTED" });
      expect(String(outcome.failed[0]?.json.data?.error_message)).toContain("kill switch drill");
      expect(outcome.paper[0]?.json.data).toMatchObject({ error_code: "TRADING_HALTED" });
    }
    expect(emulator.orders().length).toBe(ordersBefore);
    // Both instances refused some: every partition had signals, and each instance owns some.
    expect(await refusals(first)).toBeGreaterThan(before[0] ?? 0);
    expect(await refusals(second)).toBeGreaterThan(before[1] ?? 0);

    const resumed = Date.now();
    expect(
      (await control(second, { scope: "global", state: "ACTIVE", reason: "drill over" })).status,
    ).toBe(202);
    await bothSee("ACTIVE", strategyA, resumed);
    const again = spread(1.01);
    await sendSignals(bench.producer, signalTopic, again);
    await bench.ledger.waitForEnds(idsOf(again), 30_000);
    expect(bench.ledger.problems(idsOf(again), emulator, { end: "filled" })).toEqual([]);
  });

  it("halts one strategy with cancel_open: its LIMIT orders held open at Kite are cancelled and end TRADING_HALTED; the other strategy keeps trading", async () => {
    const [t1 = 0, t2 = 0] = tokens;
    const held = [buy(strategyA, t1, 0.95), buy(strategyA, t2, 0.95)];
    const kept = buy(strategyB, t1, 0.95);
    await sendSignals(bench.producer, signalTopic, [...held, kept]);
    await bench.recorder.waitFor(
      () => [...held, kept].every((s) => bench.ledger.of(s.id).placed.length === 1),
      30_000,
      "the three LIMIT orders placed",
    );

    const answer = await control(first, {
      scope: "strategy",
      strategy_id: strategyA,
      state: "HALTED",
      reason: "strategy misbehaving",
      cancel_open: true,
    });
    expect(answer.status).toBe(202);
    await bench.recorder.waitFor(
      () => held.every((s) => bench.ledger.of(s.id).failed.length === 1),
      15_000,
      "the held orders' ends",
    );
    for (const signal of held) {
      expect(bench.ledger.of(signal.id).failed[0]?.json.data).toMatchObject({
        error_code: "TRADING_HALTED",
      });
      const order = emulator.orders().find((o) => o.tag === orderTag(signal.id));
      expect(order?.status).toBe("CANCELLED");
    }
    expect(bench.ledger.problems(idsOf(held), emulator, { end: "failed" })).toEqual([]);
    const cancels =
      (await first.running.metrics.controlCancels.get()).values.length +
      (await second.running.metrics.controlCancels.get()).values.length;
    expect(cancels).toBeGreaterThan(0);

    // The other strategy's order is still open, and it trades on.
    expect(emulator.orders().find((o) => o.tag === orderTag(kept.id))?.status).toBe("OPEN");
    expect(bench.ledger.of(kept.id).failed).toHaveLength(0);
    const next = buy(strategyB, t2, 1.01);
    await sendSignals(bench.producer, signalTopic, [next]);
    await bench.ledger.waitForEnds([next.id], 30_000);
    expect(bench.ledger.problems([next.id], emulator, { end: "filled" })).toEqual([]);
    // The halted strategy's new signals are refused.
    const refused = buy(strategyA, t1, 1.01);
    await sendSignals(bench.producer, signalTopic, [refused]);
    await bench.ledger.waitForEnds([refused.id], 30_000);
    expect(bench.ledger.of(refused.id).failed[0]?.json.data).toMatchObject({
      error_code: "TRADING_HALTED",
    });
    expect(emulator.orders().some((o) => o.tag === orderTag(refused.id))).toBe(false);
  });

  it("cancels an order whose placement answer was still on its way at a halt with cancel_open, once it shows open", async () => {
    const strategyC = uniqueName("tc_c_");
    await putZerodhaStrategy(bench.sql, strategyC);
    const [t1 = 0] = tokens;
    // Kite creates the order and holds its answer for 3 s: the execution is `submitted` when the
    // halt comes, so the cancel pass at the halt finds nothing open.
    emulator.setFaults({ timeoutAfterAccept: { next: 1, mode: "hang", hangMs: 3_000 } });
    const late = buy(strategyC, t1, 0.95);
    await sendSignals(bench.producer, signalTopic, [late]);
    await bench.recorder.waitFor(
      () => emulator.orders().some((o) => o.tag === orderTag(late.id)),
      30_000,
      "the order created at Kite",
    );
    expect(bench.ledger.of(late.id).placed).toHaveLength(0);
    const answer = await control(second, {
      scope: "strategy",
      strategy_id: strategyC,
      state: "HALTED",
      reason: "halt while an order is in flight",
      cancel_open: true,
    });
    expect(answer.status).toBe(202);
    await bothSee("HALTED", strategyC, Date.now());
    expect(bench.ledger.of(late.id).placed).toHaveLength(0);

    await bench.ledger.waitForEnds([late.id], 30_000);
    expect(bench.ledger.of(late.id).failed[0]?.json.data).toMatchObject({
      error_code: "TRADING_HALTED",
    });
    expect(emulator.orders().find((o) => o.tag === orderTag(late.id))?.status).toBe("CANCELLED");
    expect(bench.ledger.problems([late.id], emulator, { end: "failed" })).toEqual([]);
    emulator.clearFaults();
  });

  it.each([
    ["no token", null],
    ["a wrong token", "not-the-admin-token-at-all"],
  ])(
    "answers 401 to a change with %s, and nothing changes on either instance",
    async (_n, token) => {
      const scopes = async () =>
        ((await (await fetch(url(second, "/control"))).json()) as { scopes: unknown[] }).scopes;
      const before = await scopes();
      const answer = await control(
        first,
        { scope: "global", state: "HALTED", reason: "intruder" },
        token,
      );
      expect(answer.status).toBe(401);
      await sleep(1_000);
      expect(await scopes()).toEqual(before);
      expect(stateOn(first, strategyB)).toBe("ACTIVE");
      expect(stateOn(second, strategyB)).toBe("ACTIVE");
    },
  );

  it("serves the positions of the engine's fills", async () => {
    const answer = (await (
      await fetch(url(first, `/positions?strategy_id=${strategyB}`))
    ).json()) as { positions: { namespace: string }[] };
    // Strategy B filled a BUY of 2 on each token in the first test, and one more on t2 since.
    const onZerodha = answer.positions.filter((p) => p.namespace === "zerodha");
    const expected = tokens.map((token, index) => ({
      namespace: "zerodha",
      strategy_id: strategyB,
      instrument_token: token,
      net_quantity: index === 1 ? 4 : 2,
    }));
    expect(onZerodha).toEqual(expected.sort((a, b) => a.instrument_token - b.instrument_token));
  });
});

describe("trading controls from the CLI, with no HTTP", () => {
  const strategy = uniqueName("tc_cli_");
  const token = NSE_EQUITIES[0]?.token ?? 0;
  /** The CLI's engines obey a control topic of their own, and trade MARKET orders. */
  const variables = {
    ...controlEnv("tc.cli"),
    ENGINE_ADMIN_TOKEN: undefined,
    ZERODHA_ORDER_TYPE: undefined,
  };
  const controlTopic = variables.ENGINE_CONTROL_TOPIC;

  /** Runs `engine <args>` on the CLI's control topic. */
  function cli(runCli: RunCli, args: string[]) {
    return runCli(args, { KAFKA_BROKERS, ENGINE_CONTROL_TOPIC: controlTopic, LOG_LEVEL: "warn" });
  }

  it("halts a strategy on a running engine without HTTP; an engine started while the halt is in force refuses its backlog and sends nothing", async ({
    bench,
    emulator,
    openSite,
    runCli,
    startEngine,
  }) => {
    const running = await startEngine(variables, { site: await openSite("tccli"), http: false });
    expect(running.running.httpPort).toBeNull();
    await putZerodhaStrategy(bench.sql, strategy);
    const halted = await cli(runCli, [
      "halt",
      "--strategy",
      strategy,
      "--reason",
      "http is down",
      "--operator",
      "oncall",
    ]);
    expect(halted.exit.code, halted.output).toBe(0);
    expect(JSON.parse(halted.stdout)).toMatchObject({
      scope: "strategy",
      strategy_id: strategy,
      state: "HALTED",
      operator: "oncall",
    });
    await waitForControlState([running], "HALTED", strategy, { timeoutMs: 5_000 });
    const status = await cli(runCli, ["status"]);
    expect(status.exit.code, status.output).toBe(0);
    expect(JSON.parse(status.stdout).scopes).toMatchObject([
      { key: `strategy:${strategy}`, state: "HALTED", reason: "http is down" },
    ]);

    // A second engine on its own input topic: its backlog is there before it starts.
    const late = await openSite("tclate");
    const backlog = [1, 2, 3].map(() =>
      validatedSignal({ strategyId: strategy, instrumentToken: token, price: priceOf(token) }),
    );
    await sendSignals(bench.producer, late.signalTopic, backlog);
    const ordersBefore = emulator.orders().length;
    await startEngine(variables, { site: late });
    await bench.ledger.waitForEnds(idsOf(backlog), 30_000);
    for (const signal of backlog) {
      expect(bench.ledger.of(signal.id).failed[0]?.json.data).toMatchObject({
        error_code: "TRADING_HALTED",
      });
    }
    expect(emulator.orders().length).toBe(ordersBefore);

    const resumed = await cli(runCli, ["resume", "--strategy", strategy, "--reason", "fixed"]);
    expect(resumed.exit.code, resumed.output).toBe(0);
  });

  it("refuses a command without --reason, naming it", async ({ runCli }) => {
    const refused = await cli(runCli, ["halt", "--namespace", "zerodha"]);
    expect(refused.exit.code).not.toBe(0);
    expect(refused.output).toContain("--reason");
  });
});
