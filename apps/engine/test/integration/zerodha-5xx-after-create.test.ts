import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaTest } from "./test-support/fixtures.js";
import { sleep } from "./test-support/probes.js";
import { NSE_EQUITIES } from "./test-support/zerodha-harness.js";

const strategyId = "zd_5xx";
const token = NSE_EQUITIES[0]?.token ?? 0;

const it = zerodhaTest.extend("options", FILE_SCOPE, {
  label: "zd5xx",
  kite: { fillDelayMs: 50 },
  env: { ZERODHA_ORDER_VISIBILITY_MS: "20000" },
  strategyIds: [strategyId],
  tokens: [token],
});

/**
 * Issue 10, item 2: a placement answered 502 or 504 (JSON or an HTML page) may have created the
 * order, and Kite's order book may not show it for a while. The engine runs with the default
 * `ZERODHA_ORDER_VISIBILITY_MS`: no second order for any order-book lag up to 10 s.
 */
describe("zerodha: Kite creates the order, then answers 5xx, and its order book lags", () => {
  it.afterEach(({ emulator }) => emulator.clearFaults());

  it.for([
    { status: 502, format: "json", lagMs: 1_200 },
    { status: 504, format: "json", lagMs: 1_200 },
    { status: 502, format: "html", lagMs: 1_200 },
    { status: 502, format: "json", lagMs: 10_000 },
  ] as const)(
    "places one order for a $status $format answer with a $lagMs ms order-book lag, and ends filled",
    // A minute a case, and the file's setup in the first.
    { timeout: 120_000 },
    async ({ status, format, lagMs }, { emulator, bench, trade }) => {
      emulator.setFaults({
        orderSystemDown: { next: 1, status, format, afterCreate: true },
        orderBookLagMs: lagMs,
      });
      const signal = await trade({ instrumentToken: token });
      await sleep(500);
      expect(emulator.stats().faultsInjected.orderSystemDown ?? 0).toBeGreaterThan(0);
      expect(bench.ledger.problems([signal.id], emulator, { end: "filled" })).toEqual([]);
    },
  );
});
