import { silentLogger } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { orderTag } from "@engine/trader-zerodha";
import type { Producer } from "kafkajs";
import { describe, expect } from "vitest";
import { openDatabase } from "../../src/db/database.js";
import { integrationTest as it } from "./test-support/fixtures.js";
import { uniqueName } from "./test-support/kafka.js";
import { validatedSignal } from "./test-support/messages.js";
import { sleep } from "./test-support/probes.js";
import { ensureTopic, type SignalEvent } from "./test-support/signal-stream.js";
import {
  openZerodhaBench,
  putZerodhaStrategy,
  startKiteEmulator,
  startZerodhaEngine,
  startZerodhaScenario,
  type ZerodhaBench,
  zerodhaDiagnostics,
} from "./test-support/zerodha-harness.js";

/** Instruments the emulator adds for these tests: one per signal of a lane. */
const SYNTHETIC = 100;
const FIRST_SYNTHETIC_TOKEN = 900_000_000;
const syntheticTokens = (count: number) =>
  Array.from({ length: count }, (_, n) => FIRST_SYNTHETIC_TOKEN + (n % SYNTHETIC));
/** Long lanes take longer than the default 30 s to drain: these tests are about ownership. */
const PATIENT = { SIGNAL_MAX_AGE_MS: "600000" };

/** Signals of one strategy sent with the Kafka key `strategy_id` alone, as the contract allows. */
async function sendOnOneKey(
  producer: Producer,
  topic: string,
  key: string,
  signals: readonly SignalEvent[],
): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: signals.map((signal) => ({ key, value: JSON.stringify(signal) })),
  });
}

function lane(strategyId: string, tokens: readonly number[]): SignalEvent[] {
  return tokens.map((token, n) =>
    validatedSignal({
      strategyId,
      instrumentToken: token,
      signalType: n % 2 === 0 ? "BUY" : "SELL",
      quantity: 1,
    }),
  );
}

// Each test sets up a scenario of its own (emulator, bench, engine), undone at the file's end.
describe("zerodha: long lanes on one Kafka key keep one owner (issue 10, item 1)", () => {
  let emulator: KiteEmulator | undefined;
  let bench: ZerodhaBench | undefined;
  let ids: string[] = [];

  it.beforeAll(({ engines }) => {
    engines.diagnose(() => zerodhaDiagnostics(emulator, bench?.ledger, ids));
  });

  it("gives each of 60 signals in one batch with key `momentum_1` one order, order_placed before the lane ends, and its fill", async ({
    teardown,
  }) => {
    const namespace = uniqueName("zdlaneb");
    const strategyId = "momentum_1";
    const tokens = syntheticTokens(60);
    ({ emulator, bench } = await startZerodhaScenario(teardown, {
      namespace,
      kite: { accessToken: "zdlane_token", fillDelayMs: 50, syntheticInstruments: SYNTHETIC },
      variables: { KITE_ACCESS_TOKEN: "zdlane_token", ...PATIENT },
      strategyIds: [strategyId],
      tokens: tokens.slice(0, 1),
    }));
    const signals = lane(strategyId, tokens);
    ids = signals.map((signal) => signal.id);
    await sendOnOneKey(bench.producer, `${namespace}.signals.validated`, strategyId, signals);
    // The first order_placed goes out as soon as Kite accepted the order, not when the lane
    // (60 orders at Kite's 10 a second) is done.
    const ledger = bench.ledger;
    await bench.recorder.waitFor(
      () => ids.some((id) => ledger.of(id).placed.length > 0),
      60_000,
      "the first order_placed",
    );
    expect(emulator.orders().length).toBeLessThan(signals.length);
    await ledger.waitForEnds(ids, 120_000);
    await sleep(1_000);

    expect(ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
    // Submitted in the key's order.
    const tagsInKiteOrder = emulator
      .orders()
      .sort((a, b) => a.order_id.localeCompare(b.order_id))
      .map((order) => order.tag);
    expect(tagsInKiteOrder).toEqual(ids.map((id) => orderTag(id)));
  });

  it("fails none of 30 signals on one key when Kite answers in 700 ms and the timeout is 2 s", async ({
    teardown,
  }) => {
    const namespace = uniqueName("zdlanes");
    const strategyId = "momentum_2";
    const tokens = syntheticTokens(11);
    ({ emulator, bench } = await startZerodhaScenario(teardown, {
      namespace,
      kite: { accessToken: "zdslow_token", fillDelayMs: 50, syntheticInstruments: SYNTHETIC },
      variables: { KITE_ACCESS_TOKEN: "zdslow_token", EXECUTION_TIMEOUT_MS: "2000", ...PATIENT },
      strategyIds: [strategyId],
      tokens: tokens.slice(0, 1),
    }));
    emulator.setFaults({ latencyMs: 700 });
    const signals = lane(
      strategyId,
      Array.from({ length: 30 }, (_, n) => tokens[n % tokens.length] ?? 0),
    );
    ids = signals.map((signal) => signal.id);
    await sendOnOneKey(bench.producer, `${namespace}.signals.validated`, strategyId, signals);
    await bench.ledger.waitForEnds(ids, 180_000);
    await sleep(1_000);
    expect(bench.ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
  });

  it("places one order per signal for 80 signals queued on one key before the engine starts, with 10% of placements unanswered", async ({
    teardown,
  }) => {
    const namespace = uniqueName("zdlanea");
    const strategyId = "momentum_3";
    emulator = await startKiteEmulator(teardown, {
      accessToken: "zdqueued_token",
      fillDelayMs: 50,
      syntheticInstruments: SYNTHETIC,
    });
    bench = await openZerodhaBench(teardown);
    // The schema before any engine runs, so the strategy is enabled when the first signal is read.
    const database = openDatabase(bench.db.url, silentLogger);
    await database.migrate();
    await database.close();
    await putZerodhaStrategy(bench.sql, strategyId);
    const signals = lane(strategyId, syntheticTokens(80));
    ids = signals.map((signal) => signal.id);
    emulator.setFaults({ timeoutAfterAccept: { probability: 0.1, mode: "hang" } });
    const topic = `${namespace}.signals.validated`;
    // The signals wait in Kafka; startZerodhaEngine points the group at the topic's start.
    await ensureTopic(bench.admin, topic, 3);
    await sendOnOneKey(bench.producer, topic, strategyId, signals);
    await startZerodhaEngine(teardown, bench, {
      namespace,
      emulator,
      variables: { KITE_ACCESS_TOKEN: "zdqueued_token", KITE_TIMEOUT_MS: "1500", ...PATIENT },
    });
    await bench.ledger.waitForEnds(ids, 240_000);
    emulator.clearFaults();
    await sleep(2_000);
    const stats = emulator.stats();
    expect(stats.faultsInjected.timeoutAfterAccept ?? 0).toBeGreaterThan(0);
    expect(bench.ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
    expect(stats.placements).toBe(ids.length);
  });
});
