import type { KiteEmulator } from "@engine/kite-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dumpOnFailure } from "./support/engine-process.js";
import { uniqueName } from "./support/kafka.js";
import { sleep } from "./support/probes.js";
import { produceStream, signalSeries } from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";
import {
  NSE_EQUITIES,
  startZerodhaScenario,
  type ZerodhaBench,
  zerodhaDiagnostics,
} from "./support/zerodha-harness.js";

const SIGNALS = 250;
const ACCESS_TOKEN = "zdambiguous_token";
// Above Kite's 10/s so the stream is not throttled to 25 s; the client stays below the emulator.
const CLIENT_ORDERS_PER_SECOND = 40;
const KITE_ORDERS_PER_SECOND = 50;

describe("zerodha: Kite accepts the order but the answer never comes", () => {
  const namespace = uniqueName("zdambig");
  const signalTopic = `${namespace}.signals.validated`;
  const strategyId = "zd_ambiguous";
  const tokens = NSE_EQUITIES.map((row) => row.token);
  const teardown = new Teardown();
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;
  let ids: string[] = [];

  beforeAll(async () => {
    ({ emulator, bench } = await startZerodhaScenario(teardown, {
      namespace,
      kite: {
        accessToken: ACCESS_TOKEN,
        fillDelayMs: 50,
        ordersPerSecond: KITE_ORDERS_PER_SECOND,
        ordersPerMinute: 3_000,
      },
      variables: {
        KITE_ACCESS_TOKEN: ACCESS_TOKEN,
        KITE_TIMEOUT_MS: "500",
        ZERODHA_ORDERS_PER_SECOND: String(CLIENT_ORDERS_PER_SECOND),
        ZERODHA_ORDERS_PER_MINUTE: "3000",
        ZERODHA_REQUESTS_PER_SECOND: "200",
      },
      strategyIds: [strategyId],
      tokens,
    }));
  });

  afterEach((context) => {
    dumpOnFailure(context.task.result?.state, [], () =>
      zerodhaDiagnostics(emulator, bench?.ledger, ids),
    );
  });

  afterAll(() => teardown.run());

  it("places exactly one order per signal when 10% of placements time out after Kite accepted them, and every signal ends filled once", async () => {
    const { signals } = signalSeries(strategyId, tokens, SIGNALS);
    ids = signals.map((signal) => signal.id);
    emulator.setFaults({ timeoutAfterAccept: { probability: 0.1, mode: "hang" } });

    await produceStream(bench.producer, signalTopic, signals, { durationMs: 10_000, chunk: 10 });
    await bench.ledger.waitForEnds(ids, 120_000);
    emulator.clearFaults();
    // Anything still to come (a second order, a second end) would come within this.
    await sleep(1_000);

    const stats = emulator.stats();
    const timedOut = stats.faultsInjected.timeoutAfterAccept ?? 0;
    process.stdout.write(
      `zerodha-ambiguous-placement: ${timedOut} of ${stats.placementRequests} placements timed out after acceptance; ${stats.requestsByPath["GET /orders"] ?? 0} order-book lookups; peak ${stats.maxPlacementsInAnySecond} placements/s\n`,
    );
    // The fault really fired, and each one was reconciled by a look at the order book.
    expect(timedOut).toBeGreaterThan(0);
    expect(stats.requestsByPath["GET /orders"] ?? 0).toBeGreaterThanOrEqual(timedOut);
    // One order per signal at Kite, one order_placed naming it, one order_filled, one paper result.
    expect(bench.ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
    expect(stats.placements).toBe(SIGNALS);
    expect(stats.ordersByStatus).toEqual({ COMPLETE: SIGNALS });
  });
});
