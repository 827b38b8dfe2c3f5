import type { ExecutionResult } from "@engine/core";
import type { KiteEmulator, KiteEmulatorOptions } from "@engine/kite-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { orderTag } from "./tag.js";
import {
  eventually,
  seededRandom,
  startEmulator,
  todaysSignal,
  traderFor,
} from "./test-support/harness.js";
import type { ZerodhaTrader } from "./zerodha-trader.js";

let emulator: KiteEmulator | undefined;
const traders: ZerodhaTrader[] = [];

afterEach(async () => {
  await Promise.all(traders.splice(0).map((trader) => trader.shutdown()));
  await emulator?.stop();
  emulator = undefined;
});

async function setup(
  env: Record<string, string> = {},
  options: KiteEmulatorOptions = {},
): Promise<{ emulator: KiteEmulator; trader: ZerodhaTrader }> {
  emulator = await startEmulator(options);
  const { trader } = traderFor(emulator, env);
  traders.push(trader);
  expect(await trader.initialize()).toBe(true);
  return { emulator, trader };
}

/** Orders at the emulator per tag. */
function ordersByTag(emu: KiteEmulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const order of emu.orders())
    counts.set(order.tag ?? "", (counts.get(order.tag ?? "") ?? 0) + 1);
  return counts;
}

function placementRequests(emu: KiteEmulator): number {
  return emu.stats().requestsByPath["POST /orders/:variety"] ?? 0;
}

const kinds = (results: ExecutionResult[]) =>
  results.reduce<Record<string, number>>((acc, result) => {
    const key = result.kind === "failed" ? `failed:${result.payload.error_code}` : result.kind;
    acc[key] = (acc[key] ?? 0) + 1;
    return acc;
  }, {});

describe("ZerodhaTrader: ambiguous placements are reconciled, never placed twice", () => {
  it("places exactly one order per signal when 10 % of accepted placements time out", async () => {
    const { emulator: emu, trader } = await setup(
      {
        KITE_TIMEOUT_MS: "300",
        // Room for a busy machine (CI runs other packages' tests beside this one); the lookups
        // wait a realistic delay, as an unanswered request may still be on its way.
        ZERODHA_EXECUTION_BUDGET_MS: "40000",
        ZERODHA_RECONCILE_DELAY_MS: "100",
        ZERODHA_ORDERS_PER_SECOND: "100",
        ZERODHA_ORDERS_PER_MINUTE: "1000",
        ZERODHA_REQUESTS_PER_SECOND: "100",
      },
      // The emulator's own limiter is off: under this load its arrival times jitter in one
      // process, and this test is about ambiguity, not rate limits (tested below).
      { ordersPerSecond: 0, ordersPerMinute: 0, random: seededRandom(42) },
    );
    emu.setFaults({ timeoutAfterAccept: { probability: 0.1, hangMs: 5_000 } });
    const signals = Array.from({ length: 200 }, (_, i) => todaysSignal({ id: `sig-timeout-${i}` }));

    const results = await Promise.all(signals.map((signal) => trader.executeOrder(signal, null)));

    expect(kinds(results)).toEqual({ placed: 200 });
    expect(emu.stats().faultsInjected.timeoutAfterAccept).toBeGreaterThan(10);
    const counts = ordersByTag(emu);
    for (const signal of signals) expect(counts.get(orderTag(signal.id))).toBe(1);
    expect(emu.orders()).toHaveLength(200);
    // Each adopted order is the one at the emulator with the signal's tag.
    const byTag = new Map(emu.orders().map((order) => [order.tag, order.order_id]));
    signals.forEach((signal, i) => {
      expect(results[i]?.payload.order_id).toBe(byTag.get(orderTag(signal.id)));
    });
  }, 60_000);

  it("adopts the order when the connection drops after Kite accepted it", async () => {
    const { emulator: emu, trader } = await setup();
    emu.setFaults({ timeoutAfterAccept: { next: 1, mode: "destroy" } });
    const signal = todaysSignal({ id: "sig-dropped" });
    const result = await trader.executeOrder(signal, null);
    expect(result.kind).toBe("placed");
    expect(placementRequests(emu)).toBe(1);
    expect(result.payload.order_id).toBe(emu.orders()[0]?.order_id);
  });

  it.each([
    [503, "json"],
    [502, "text"],
    [500, "json"],
  ] as const)(
    "places once after %d (%s) answers, confirming first that nothing was created",
    async (status, format) => {
      const { emulator: emu, trader } = await setup();
      emu.setFaults({ orderSystemDown: { next: 2, status, format } });
      const signal = todaysSignal({ id: `sig-down-${status}` });
      const result = await trader.executeOrder(signal, null);
      expect(result.kind).toBe("placed");
      expect(placementRequests(emu)).toBe(3);
      expect(ordersByTag(emu).get(orderTag(signal.id))).toBe(1);
      // Each failed attempt was followed by a look at the order book before the next one.
      expect(emu.stats().requestsByPath["GET /orders"]).toBe(2);
    },
  );

  it("gives up after three attempts when the order system stays down, with no order created", async () => {
    const { emulator: emu, trader } = await setup();
    emu.setFaults({ orderSystemDown: { status: 503 } });
    const result = await trader.executeOrder(todaysSignal({ id: "sig-down-long" }), null);
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "BROKER_UNAVAILABLE" } });
    expect(result.kind === "failed" && result.payload.error_message).toMatch(
      /no order was created/,
    );
    expect(placementRequests(emu)).toBe(3);
    expect(emu.orders()).toHaveLength(0);
  });

  it.each(["json", "text"] as const)(
    "treats a %s 429 as ambiguous: backs off, reconciles, places once",
    async (format) => {
      const { emulator: emu, trader } = await setup();
      emu.setFaults({ tooManyRequests: { next: 2, format, placementsOnly: true } });
      const signal = todaysSignal({ id: `sig-429-${format}` });
      const started = Date.now();
      const result = await trader.executeOrder(signal, null);
      expect(result.kind).toBe("placed");
      expect(ordersByTag(emu).get(orderTag(signal.id))).toBe(1);
      expect(placementRequests(emu)).toBe(3);
      // Two 429s in a row: at least half of 500 ms, then half of 1000 ms of backoff.
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    },
  );

  it("treats a 200 that is not JSON (DataException) as ambiguous, not as success", async () => {
    const { emulator: emu, trader } = await setup();
    emu.setFaults({ unexpectedContentType: { next: 1, placementsOnly: true } });
    const signal = todaysSignal({ id: "sig-html" });
    const result = await trader.executeOrder(signal, null);
    expect(result.kind).toBe("placed");
    expect(placementRequests(emu)).toBe(2);
    expect(ordersByTag(emu).get(orderTag(signal.id))).toBe(1);
  });

  it("answers 'state unknown' and never places again when the order book cannot be read", async () => {
    const { emulator: emu, trader } = await setup({
      KITE_TIMEOUT_MS: "300",
      ZERODHA_EXECUTION_BUDGET_MS: "3000",
    });
    emu.setFaults({ timeoutAfterAccept: { next: 1, hangMs: 5_000 } });
    const pending = trader.executeOrder(todaysSignal({ id: "sig-blind" }), null);
    // Once the order exists, every further request gets an HTML page.
    await eventually(() => emu.orders().length === 1);
    emu.setFaults({ unexpectedContentType: {} });
    const result = await pending;
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "BROKER_UNAVAILABLE" } });
    expect(result.kind === "failed" && result.payload.error_message).toMatch(
      /^order state unknown/,
    );
    expect(placementRequests(emu)).toBe(1);
    expect(emu.orders()).toHaveLength(1);
  });

  it("never doubles an order under random 5xx, 429 and timeouts together", async () => {
    const { emulator: emu, trader } = await setup(
      {
        KITE_TIMEOUT_MS: "300",
        ZERODHA_EXECUTION_BUDGET_MS: "40000",
        ZERODHA_RECONCILE_DELAY_MS: "100",
        ZERODHA_ORDERS_PER_SECOND: "100",
        ZERODHA_ORDERS_PER_MINUTE: "1000",
        ZERODHA_REQUESTS_PER_SECOND: "100",
      },
      { ordersPerSecond: 0, ordersPerMinute: 0, random: seededRandom(7) },
    );
    emu.setFaults({
      orderSystemDown: { probability: 0.1 },
      tooManyRequests: { probability: 0.05, placementsOnly: true },
      timeoutAfterAccept: { probability: 0.05, hangMs: 5_000 },
    });
    const signals = Array.from({ length: 60 }, (_, i) => todaysSignal({ id: `sig-mixed-${i}` }));
    const results = await Promise.all(signals.map((signal) => trader.executeOrder(signal, null)));
    const counts = ordersByTag(emu);
    signals.forEach((signal, i) => {
      const count = counts.get(orderTag(signal.id)) ?? 0;
      expect(count).toBeLessThanOrEqual(1);
      // A placed result names the one order; a failure leaves none behind.
      expect(count).toBe(results[i]?.kind === "placed" ? 1 : 0);
    });
    expect(kinds(results).placed).toBeGreaterThan(50);
  }, 60_000);
});

describe("ZerodhaTrader: client-side rate limits", () => {
  it("never sends more placements per second than allowed, queueing a burst instead", async () => {
    const { emulator: emu, trader } = await setup({
      ZERODHA_ORDERS_PER_SECOND: "10",
      ZERODHA_EXECUTION_BUDGET_MS: "30000",
    });
    const signals = Array.from({ length: 40 }, (_, i) => todaysSignal({ id: `sig-burst-${i}` }));
    const results = await Promise.all(signals.map((signal) => trader.executeOrder(signal, null)));
    expect(kinds(results)).toEqual({ placed: 40 });
    const stats = emu.stats();
    expect(stats.maxPlacementsInAnySecond).toBeLessThanOrEqual(10);
    expect(stats.rateLimited).toBe(0);
    expect(stats.placements).toBe(40);
  }, 40_000);

  it("refuses orders past the daily cap without sending them", async () => {
    const { emulator: emu, trader } = await setup({ ZERODHA_ORDERS_PER_DAY: "2" });
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await trader.executeOrder(todaysSignal({ id: `sig-day-${i}` }), null));
    expect(results.map((result) => result.kind)).toEqual(["placed", "placed", "failed"]);
    expect(results[2]).toMatchObject({ payload: { error_code: "BROKER_REJECTED" } });
    expect(results[2]?.kind === "failed" && results[2].payload.error_message).toMatch(
      /daily order limit/,
    );
    expect(placementRequests(emu)).toBe(2);
  });

  it("fails fast when no placement slot frees within the execution budget", async () => {
    const { emulator: emu, trader } = await setup({
      ZERODHA_ORDERS_PER_SECOND: "1",
      KITE_TIMEOUT_MS: "200",
      ZERODHA_EXECUTION_BUDGET_MS: "1700",
    });
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        trader.executeOrder(todaysSignal({ id: `sig-slow-${i}` }), null),
      ),
    );
    // A placement may start until 1.5 s (the budget less the timeout): the first at once, the
    // second one second after the first was answered, and no third before 2 s.
    expect(kinds(results)).toEqual({ placed: 2, "failed:BROKER_UNAVAILABLE": 2 });
    expect(placementRequests(emu)).toBe(2);
  });
});
