import type { KiteEmulator } from "@engine/kite-emulator";
import { orderTag } from "@engine/trader-zerodha";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  childEnv,
  dumpOnFailure,
  runCli,
  scratchDir,
  sleep,
} from "./test-support/engine-process.js";
import { KAFKA_BROKERS } from "./test-support/environment.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import { uniqueName } from "./test-support/kafka.js";
import { validatedSignal } from "./test-support/messages.js";
import { partitionOf, type SignalEvent, sendSignals } from "./test-support/signal-stream.js";
import { Teardown } from "./test-support/teardown.js";
import {
  NSE_EQUITIES,
  openZerodhaBench,
  prepareSignals,
  priceOf,
  primePrices,
  putZerodhaStrategy,
  startKiteEmulator,
  startZerodhaEngine,
  type ZerodhaBench,
  zerodhaDiagnostics,
} from "./test-support/zerodha-harness.js";

const ACCESS_TOKEN = "tc_access_token";
const ADMIN_TOKEN = "tc-admin-token-0123456789";
const PARTITIONS = 3;

/**
 * Issue 13: an operator's trading state on the control topic, obeyed by every instance; the admin
 * API and the CLI that change it; a halt that cancels open orders.
 */
describe("trading controls on two running instances, one Kite emulator", () => {
  const teardown = new Teardown();
  const namespace = uniqueName("tc");
  const controlTopic = uniqueName("tc.control.");
  const tokens = NSE_EQUITIES.slice(0, 4).map((row) => row.token);
  // Two strategies whose keys over the tokens cover every partition, so both instances get work.
  let strategyA: string;
  let strategyB: string;
  do {
    strategyA = uniqueName("tc_a_");
    strategyB = uniqueName("tc_b_");
  } while (
    new Set(
      [strategyA, strategyB].flatMap((s) =>
        tokens.map((t) => partitionOf(`${s}:${t}`, PARTITIONS)),
      ),
    ).size < PARTITIONS
  );
  const ids: string[] = [];
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;
  let first: TestEngine;
  let second: TestEngine;

  const variables = {
    KITE_ACCESS_TOKEN: ACCESS_TOKEN,
    ZERODHA_ORDER_TYPE: "limit",
    ENGINE_CONTROL_TOPIC: controlTopic,
    ENGINE_ADMIN_TOKEN: ADMIN_TOKEN,
  };

  beforeAll(async () => {
    emulator = await startKiteEmulator(teardown, { accessToken: ACCESS_TOKEN, fillDelayMs: 50 });
    bench = await openZerodhaBench(teardown);
    first = await startZerodhaEngine(teardown, bench, { namespace, emulator, variables });
    second = await startZerodhaEngine(teardown, bench, {
      namespace,
      emulator,
      variables,
      joinsRunningGroup: true,
    });
    for (const id of [strategyA, strategyB]) await putZerodhaStrategy(bench.sql, id);
    await primePrices(first, bench.producer, tokens);
    await primePrices(second, bench.producer, tokens);
  });

  afterEach((context) => {
    dumpOnFailure(context.task.result?.state, [], () =>
      zerodhaDiagnostics(emulator, bench?.ledger, ids),
    );
  });

  afterAll(() => teardown.run());

  function url(engine: TestEngine, path: string): string {
    return `http://127.0.0.1:${engine.running.httpPort}${path}`;
  }

  function postControl(engine: TestEngine, body: unknown, token: string | null = ADMIN_TOKEN) {
    return fetch(url(engine, "/control"), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
  }

  /** A BUY at `factor` × the market: above it fills at once, below it rests open at Kite. */
  function buy(strategyId: string, token: number, factor: number): SignalEvent {
    const signal = validatedSignal({
      strategyId,
      instrumentToken: token,
      quantity: 2,
      price: Math.round(priceOf(token) * factor * 20) / 20,
    });
    ids.push(signal.id);
    return signal;
  }

  /** Signals over both strategies and every token, covering every partition of the signal topic. */
  function spread(factor: number): SignalEvent[] {
    const signals = [strategyA, strategyB].flatMap((s) => tokens.map((t) => buy(s, t, factor)));
    const partitions = new Set(signals.map((s) => partitionOf(s.key, PARTITIONS)));
    expect(partitions.size).toBe(PARTITIONS);
    return signals;
  }

  async function stateOn(engine: TestEngine, strategyId: string) {
    return engine.running.controls.resolve({ namespace: "zerodha", strategyId }).state;
  }

  /** Waits until both instances see `state` for the strategy; resolves with how long it took, ms. */
  async function bothSee(state: string, strategyId: string, since: number): Promise<number> {
    const deadline = Date.now() + 10_000;
    while (
      (await stateOn(first, strategyId)) !== state ||
      (await stateOn(second, strategyId)) !== state
    ) {
      if (Date.now() > deadline) throw new Error(`both instances did not see ${state}`);
      await sleep(10);
    }
    return Date.now() - since;
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
    const answer = await postControl(first, {
      scope: "global",
      state: "HALTED",
      reason: "kill switch drill",
    });
    expect(answer.status).toBe(202);
    expect(await bothSee("HALTED", strategyA, posted)).toBeLessThan(1_000);

    const signals = spread(1.01);
    await sendSignals(bench.producer, `${namespace}.signals.validated`, signals);
    await bench.ledger.waitForEnds(
      signals.map((s) => s.id),
      30_000,
    );
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
      (await postControl(second, { scope: "global", state: "ACTIVE", reason: "drill over" }))
        .status,
    ).toBe(202);
    await bothSee("ACTIVE", strategyA, resumed);
    const again = spread(1.01);
    await sendSignals(bench.producer, `${namespace}.signals.validated`, again);
    await bench.ledger.waitForEnds(
      again.map((s) => s.id),
      30_000,
    );
    expect(
      bench.ledger.problems(
        again.map((s) => s.id),
        emulator,
        { end: "filled" },
      ),
    ).toEqual([]);
  });

  it("halts one strategy with cancel_open: its LIMIT orders held open at Kite are cancelled and end TRADING_HALTED; the other strategy keeps trading", async () => {
    const [t1 = 0, t2 = 0] = tokens;
    const held = [buy(strategyA, t1, 0.95), buy(strategyA, t2, 0.95)];
    const kept = buy(strategyB, t1, 0.95);
    await sendSignals(bench.producer, `${namespace}.signals.validated`, [...held, kept]);
    await bench.recorder.waitFor(
      () => [...held, kept].every((s) => bench.ledger.of(s.id).placed.length === 1),
      30_000,
      "the three LIMIT orders placed",
    );

    const answer = await postControl(first, {
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
    expect(
      bench.ledger.problems(
        held.map((s) => s.id),
        emulator,
        { end: "failed" },
      ),
    ).toEqual([]);
    const cancels =
      (await first.running.metrics.controlCancels.get()).values.length +
      (await second.running.metrics.controlCancels.get()).values.length;
    expect(cancels).toBeGreaterThan(0);

    // The other strategy's order is still open, and it trades on.
    expect(emulator.orders().find((o) => o.tag === orderTag(kept.id))?.status).toBe("OPEN");
    expect(bench.ledger.of(kept.id).failed).toHaveLength(0);
    const next = buy(strategyB, t2, 1.01);
    await sendSignals(bench.producer, `${namespace}.signals.validated`, [next]);
    await bench.ledger.waitForEnds([next.id], 30_000);
    expect(bench.ledger.problems([next.id], emulator, { end: "filled" })).toEqual([]);
    // The halted strategy's new signals are refused.
    const refused = buy(strategyA, t1, 1.01);
    await sendSignals(bench.producer, `${namespace}.signals.validated`, [refused]);
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
    await sendSignals(bench.producer, `${namespace}.signals.validated`, [late]);
    await bench.recorder.waitFor(
      () => emulator.orders().some((o) => o.tag === orderTag(late.id)),
      30_000,
      "the order created at Kite",
    );
    expect(bench.ledger.of(late.id).placed).toHaveLength(0);
    const answer = await postControl(second, {
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
      const answer = await postControl(
        first,
        { scope: "global", state: "HALTED", reason: "intruder" },
        token,
      );
      expect(answer.status).toBe(401);
      await sleep(1_000);
      expect(await scopes()).toEqual(before);
      expect(await stateOn(first, strategyB)).toBe("ACTIVE");
      expect(await stateOn(second, strategyB)).toBe("ACTIVE");
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
  const teardown = new Teardown();
  const controlTopic = uniqueName("tc.cli.control.");
  const strategy = uniqueName("tc_cli_");
  const token = NSE_EQUITIES[0]?.token ?? 0;
  const dir = scratchDir("trading-controls-cli");
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;
  const variables = {
    KITE_ACCESS_TOKEN: ACCESS_TOKEN,
    ENGINE_CONTROL_TOPIC: controlTopic,
  };

  beforeAll(async () => {
    emulator = await startKiteEmulator(teardown, { accessToken: ACCESS_TOKEN, fillDelayMs: 50 });
    bench = await openZerodhaBench(teardown);
  });

  afterAll(() => teardown.run());

  function cli(args: string[]) {
    return runCli({
      name: `control-${args[0]}`,
      args,
      env: childEnv({ KAFKA_BROKERS, ENGINE_CONTROL_TOPIC: controlTopic, LOG_LEVEL: "warn" }),
      logDir: dir,
    });
  }

  it("halts a strategy on a running engine without HTTP; an engine started while the halt is in force refuses its backlog and sends nothing", async () => {
    const running = await startZerodhaEngine(teardown, bench, {
      namespace: uniqueName("tccli"),
      emulator,
      variables,
      http: false,
    });
    expect(running.running.httpPort).toBeNull();
    await putZerodhaStrategy(bench.sql, strategy);
    const halted = await cli([
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
    const deadline = Date.now() + 5_000;
    while (
      running.running.controls.resolve({ namespace: "zerodha", strategyId: strategy }).state !==
      "HALTED"
    ) {
      if (Date.now() > deadline) throw new Error("the running engine did not see the CLI's halt");
      await sleep(20);
    }
    const status = await cli(["status"]);
    expect(status.exit.code, status.output).toBe(0);
    expect(JSON.parse(status.stdout).scopes).toMatchObject([
      { key: `strategy:${strategy}`, state: "HALTED", reason: "http is down" },
    ]);

    // A second engine on its own input topic: its backlog is there before it starts.
    const late = uniqueName("tclate");
    const backlog = [1, 2, 3].map(() =>
      validatedSignal({ strategyId: strategy, instrumentToken: token, price: priceOf(token) }),
    );
    await prepareSignals(bench.admin, `${late}.signals.validated`, `it-${late}`);
    await sendSignals(bench.producer, `${late}.signals.validated`, backlog);
    const ordersBefore = emulator.orders().length;
    await startZerodhaEngine(teardown, bench, { namespace: late, emulator, variables });
    await bench.ledger.waitForEnds(
      backlog.map((s) => s.id),
      30_000,
    );
    for (const signal of backlog) {
      expect(bench.ledger.of(signal.id).failed[0]?.json.data).toMatchObject({
        error_code: "TRADING_HALTED",
      });
    }
    expect(emulator.orders().length).toBe(ordersBefore);

    const resumed = await cli(["resume", "--strategy", strategy, "--reason", "fixed"]);
    expect(resumed.exit.code, resumed.output).toBe(0);
  });

  it("refuses a command without --reason, naming it", async () => {
    const refused = await cli(["halt", "--namespace", "zerodha"]);
    expect(refused.exit.code).not.toBe(0);
    expect(refused.output).toContain("--reason");
  });
});
