import type { KiteEmulator } from "@engine/kite-emulator";
import { orderTag } from "@engine/trader-zerodha";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dumpOnFailure } from "./test-support/engine-process.js";
import { uniqueName } from "./test-support/kafka.js";
import { validatedSignal } from "./test-support/messages.js";
import { partitionOf, sendSignals } from "./test-support/signal-stream.js";
import { Teardown } from "./test-support/teardown.js";
import {
  NSE_EQUITIES,
  openZerodhaBench,
  priceOf,
  primePrices,
  putZerodhaStrategy,
  startKiteEmulator,
  startZerodhaEngine,
  type ZerodhaBench,
  zerodhaDiagnostics,
} from "./test-support/zerodha-harness.js";

const ACCESS_TOKEN = "tl_access_token";
const PARTITIONS = 3;
const ORDERS_PER_DAY = 5;

/**
 * Issue 13: the pre-trade limits per strategy and namespace (orders per minute and per day, daily
 * notional) hold across instances: two instances on one database let a strategy's orders through
 * up to the limit together, not each.
 */
describe("pre-trade limits per strategy across two instances", () => {
  const teardown = new Teardown();
  const namespace = uniqueName("tl");
  const tokens = NSE_EQUITIES.slice(0, 4).map((row) => row.token);
  // A strategy whose keys over the tokens cover every partition, so both instances get signals.
  let strategy: string;
  do {
    strategy = uniqueName("tl_s_");
  } while (
    new Set(tokens.map((t) => partitionOf(`${strategy}:${t}`, PARTITIONS))).size < PARTITIONS
  );
  const ids: string[] = [];
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;

  const variables = {
    KITE_ACCESS_TOKEN: ACCESS_TOKEN,
    ZERODHA_ORDER_TYPE: "limit",
    ENGINE_CONTROL_TOPIC: uniqueName("tl.control."),
    RISK_LIMITS_BY_NAMESPACE: `zerodha.max_orders_per_day=${ORDERS_PER_DAY}`,
  };

  beforeAll(async () => {
    emulator = await startKiteEmulator(teardown, { accessToken: ACCESS_TOKEN, fillDelayMs: 50 });
    bench = await openZerodhaBench(teardown);
    const first = await startZerodhaEngine(teardown, bench, { namespace, emulator, variables });
    const second = await startZerodhaEngine(teardown, bench, {
      namespace,
      emulator,
      variables,
      joinsRunningGroup: true,
    });
    await putZerodhaStrategy(bench.sql, strategy);
    for (const engine of [first, second]) await primePrices(engine, bench.producer, tokens);
  });

  afterEach((context) => {
    dumpOnFailure(context.task.result?.state, [], () =>
      zerodhaDiagnostics(emulator, bench?.ledger, ids),
    );
  });

  afterAll(() => teardown.run());

  it("lets 5 of a strategy's 12 orders of the day through from both instances together, refusing the rest with RISK_REJECTED", async () => {
    const signals = tokens.flatMap((token) =>
      [0, 1, 2].map(() =>
        validatedSignal({
          strategyId: strategy,
          instrumentToken: token,
          quantity: 1,
          price: Math.round(priceOf(token) * 1.01 * 20) / 20,
        }),
      ),
    );
    ids.push(...signals.map((s) => s.id));
    await sendSignals(bench.producer, `${namespace}.signals.validated`, signals);
    await bench.ledger.waitForEnds(ids, 60_000);

    const filled = signals.filter((s) => bench.ledger.of(s.id).filled.length === 1);
    const refused = signals.filter(
      (s) => bench.ledger.of(s.id).failed[0]?.json.data?.error_code === "RISK_REJECTED",
    );
    expect(filled).toHaveLength(ORDERS_PER_DAY);
    expect(refused).toHaveLength(signals.length - ORDERS_PER_DAY);
    for (const signal of refused) {
      expect(String(bench.ledger.of(signal.id).failed[0]?.json.data?.error_message)).toContain(
        "max_orders_per_day",
      );
      expect(emulator.orders().some((o) => o.tag === orderTag(signal.id))).toBe(false);
    }
  });
});
