import { orderTag } from "@engine/trader-zerodha";
import { describe, expect } from "vitest";
import { controlEnv } from "./test-support/controls.js";
import { FILE_SCOPE, zerodhaTest } from "./test-support/fixtures.js";
import { validatedSignal } from "./test-support/messages.js";
import { sendSignals, strategiesCoveringPartitions } from "./test-support/signal-stream.js";
import { NSE_EQUITIES, priceOf } from "./test-support/zerodha-harness.js";

const ORDERS_PER_DAY = 5;
const tokens = NSE_EQUITIES.slice(0, 4).map((row) => row.token);
// A strategy whose keys over the tokens cover every partition, so both instances get signals.
const [strategy = ""] = strategiesCoveringPartitions(["tl_s_"], tokens);

const it = zerodhaTest.extend("options", FILE_SCOPE, {
  label: "tl",
  kite: { fillDelayMs: 50 },
  env: {
    ZERODHA_ORDER_TYPE: "limit",
    ...controlEnv("tl"),
    RISK_LIMITS_BY_NAMESPACE: `zerodha.max_orders_per_day=${ORDERS_PER_DAY}`,
  },
  instances: 2,
  strategyIds: [strategy],
  tokens,
});

/**
 * Issue 13: the pre-trade limits per strategy and namespace (orders per minute and per day, daily
 * notional) hold across instances: two instances on one database let a strategy's orders through
 * up to the limit together, not each.
 */
describe("pre-trade limits per strategy across two instances", () => {
  it("lets 5 of a strategy's 12 orders of the day through from both instances together, refusing the rest with RISK_REJECTED", async ({
    bench,
    emulator,
    site,
  }) => {
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
    const ids = signals.map((s) => s.id);
    await sendSignals(bench.producer, site.signalTopic, signals);
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
