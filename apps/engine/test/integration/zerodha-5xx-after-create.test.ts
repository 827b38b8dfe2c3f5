import type { KiteEmulator } from "@engine/kite-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dumpOnFailure } from "./support/engine-process.js";
import { uniqueName } from "./support/kafka.js";
import { validatedSignal } from "./support/messages.js";
import { sleep } from "./support/probes.js";
import { Teardown } from "./support/teardown.js";
import {
  NSE_EQUITIES,
  sendAndAwaitEnd,
  startZerodhaScenario,
  type ZerodhaBench,
  zerodhaDiagnostics,
} from "./support/zerodha-harness.js";

const ACCESS_TOKEN = "zd5xx_token";

/**
 * Issue 10, item 2: a placement answered 502 or 504 (JSON or an HTML page) may have created the
 * order, and Kite's order book may not show it for a while. The engine runs with the default
 * `ZERODHA_ORDER_VISIBILITY_MS`: no second order for any order-book lag up to 10 s.
 */
describe("zerodha: Kite creates the order, then answers 5xx, and its order book lags", () => {
  const namespace = uniqueName("zd5xx");
  const strategyId = "zd_5xx";
  const token = NSE_EQUITIES[0]?.token ?? 0;
  const teardown = new Teardown();
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;
  const ids: string[] = [];

  beforeAll(async () => {
    ({ emulator, bench } = await startZerodhaScenario(teardown, {
      namespace,
      kite: { accessToken: ACCESS_TOKEN, fillDelayMs: 50 },
      variables: { KITE_ACCESS_TOKEN: ACCESS_TOKEN, ZERODHA_ORDER_VISIBILITY_MS: "20000" },
      strategyIds: [strategyId],
      tokens: [token],
    }));
  });

  afterEach((context) => {
    emulator.clearFaults();
    dumpOnFailure(context.task.result?.state, [], () =>
      zerodhaDiagnostics(emulator, bench?.ledger, ids),
    );
  });

  afterAll(() => teardown.run());

  it.each([
    { status: 502, format: "json", lagMs: 1_200 },
    { status: 504, format: "json", lagMs: 1_200 },
    { status: 502, format: "html", lagMs: 1_200 },
    { status: 502, format: "json", lagMs: 10_000 },
  ] as const)(
    "places one order for a $status $format answer with a $lagMs ms order-book lag, and ends filled",
    async ({ status, format, lagMs }) => {
      emulator.setFaults({
        orderSystemDown: { next: 1, status, format, afterCreate: true },
        orderBookLagMs: lagMs,
      });
      const signal = validatedSignal({ strategyId, instrumentToken: token });
      ids.push(signal.id);
      await sendAndAwaitEnd(bench, `${namespace}.signals.validated`, signal);
      await sleep(500);
      expect(emulator.stats().faultsInjected.orderSystemDown ?? 0).toBeGreaterThan(0);
      expect(bench.ledger.problems([signal.id], emulator, { end: "filled" })).toEqual([]);
    },
    60_000,
  );
});
