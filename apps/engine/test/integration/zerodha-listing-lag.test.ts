import { clientOrderId } from "@engine/core";
import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaTest } from "./test-support/fixtures.js";
import { eventually, sleep } from "./test-support/probes.js";
import { NSE_EQUITIES } from "./test-support/zerodha-harness.js";

const strategyId = "zd_lag";
const tokens = NSE_EQUITIES.map((row) => row.token).slice(0, 5);
/** How late Kite's order book lists a new order: three times the engine's visibility window. */
const LAG_MS = 3_000;

const it = zerodhaTest.extend("options", FILE_SCOPE, {
  label: "zdlag",
  kite: { fillDelayMs: 50 },
  env: {
    ZERODHA_ORDER_VISIBILITY_MS: "1000",
    // One placement a second: four signals sent together hold the budget for four seconds.
    ZERODHA_ORDERS_PER_SECOND: "1",
    ZERODHA_STATUS_POLL_MS: "200",
  },
  strategyIds: [strategyId],
  tokens,
});

/**
 * Kite creates an order, answers 503, and its order book lists the order later than
 * `ZERODHA_ORDER_VISIBILITY_MS` (a window set too short for this broker): the engine concludes the
 * attempt absent and submits again. It looks the order up once more right before that submission
 * goes out, and a second order Kite lists after all is raised as `duplicate_order`.
 */
describe("zerodha: Kite's order book lags longer than the visibility window", () => {
  it.afterEach(({ emulator }) => emulator.clearFaults());

  it("adopts an attempt Kite lists while its re-submission waits for the order budget: one order", async ({
    emulator,
    bench,
    trade,
  }) => {
    emulator.setFaults({
      orderSystemDown: { next: 1, status: 503, format: "json", afterCreate: true },
      orderBookLagMs: LAG_MS,
    });
    const [first, ...others] = tokens;
    const lagged = trade({ instrumentToken: first });
    await sleep(200);
    const rest = others.map((instrumentToken) => trade({ instrumentToken }));
    const signals = await Promise.all([lagged, ...rest]);
    expect(emulator.stats().faultsInjected.orderSystemDown).toBe(1);
    expect(
      bench.ledger.problems(
        signals.map((signal) => signal.id),
        emulator,
        { end: "filled" },
      ),
    ).toEqual([]);
  }, 60_000);

  it("raises duplicate_order once when an attempt placed again is listed after all", async ({
    emulator,
    engine,
    trade,
  }) => {
    emulator.setFaults({
      orderSystemDown: { next: 1, status: 503, format: "json", afterCreate: true },
      orderBookLagMs: LAG_MS,
    });
    const signal = await trade({ instrumentToken: tokens[0] });
    const tag = clientOrderId(signal.id, "zerodha");
    const duplicates = async () =>
      (await engine.running.metrics.anomalies.get()).values.find(
        (value) =>
          value.labels.namespace === "zerodha" && value.labels.anomaly === "duplicate_order",
      )?.value ?? 0;
    await eventually(duplicates, (count) => count === 1, "duplicate_order raised", 10_000);
    expect(emulator.stats().ordersByTag[tag]).toBe(2);
    await sleep(1_000);
    expect(await duplicates()).toBe(1);
  }, 60_000);
});
