import type { OrderQuery } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { describe, expect, it } from "vitest";
import { orderTag } from "../../src/tag.js";
import {
  kinds,
  placementRequests,
  refOf,
  seededRandom,
  submit,
  todaysSignal,
  traderFixture,
} from "../../src/test-support/harness.js";

const { setup } = traderFixture();

/** Orders at the emulator per tag. */
function ordersByTag(emu: KiteEmulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const order of emu.orders())
    counts.set(order.tag ?? "", (counts.get(order.tag ?? "") ?? 0) + 1);
  return counts;
}

/** Fast timings for the many-placement tests; the emulator's own limiter is off. */
const BUSY_ENV = {
  KITE_TIMEOUT_MS: "300",
  ZERODHA_ORDERS_PER_SECOND: "100",
  ZERODHA_ORDERS_PER_MINUTE: "1000",
  ZERODHA_REQUESTS_PER_SECOND: "100",
};
const BUSY_EMULATOR = { ordersPerSecond: 0, ordersPerMinute: 0 };

describe("ZerodhaTrader: a placement without a clear answer is unknown, sent once, and found by query", () => {
  it("sends one placement per signal when 10 % of accepted placements time out, and every unknown is found by its client order id", async () => {
    const { emulator: emu, trader } = await setup(
      { ...BUSY_ENV, KITE_TIMEOUT_MS: "1000" },
      { ...BUSY_EMULATOR, random: seededRandom(42) },
    );
    emu.setFaults({ timeoutAfterAccept: { probability: 0.1, hangMs: 5_000 } });
    const signals = Array.from({ length: 200 }, (_, i) => todaysSignal({ id: `sig-timeout-${i}` }));

    const results = await Promise.all(signals.map((signal) => submit(trader, signal)));

    const timedOut = emu.stats().faultsInjected.timeoutAfterAccept ?? 0;
    expect(timedOut).toBeGreaterThan(10);
    // Each held answer is unknown; on a busy machine a slow answer may time out too.
    const { placed = 0, unknown = 0, ...others } = kinds(results);
    expect(others).toEqual({});
    expect(placed + unknown).toBe(200);
    expect(unknown).toBeGreaterThanOrEqual(timedOut);
    expect(placementRequests(emu)).toBe(200);
    const counts = ordersByTag(emu);
    for (const signal of signals) expect(counts.get(orderTag(signal.id))).toBe(1);
    for (const [i, result] of results.entries()) {
      if (result.kind !== "unknown") continue;
      expect(result.reason).toMatch(/ECONNABORTED/);
      // What the engine does next: it finds the order by its client order id.
      const found = await trader.queryOrder(refOf(signals[i] ?? todaysSignal()));
      expect(found).toMatchObject({
        kind: "found",
        report: { clientOrderId: orderTag(`sig-timeout-${i}`) },
      });
    }
  }, 60_000);

  it("answers unknown when the connection drops after Kite accepted the order", async () => {
    const { emulator: emu, trader } = await setup();
    emu.setFaults({ timeoutAfterAccept: { next: 1, mode: "destroy" } });
    const signal = todaysSignal({ id: "sig-dropped" });
    const result = await submit(trader, signal);
    expect(result).toMatchObject({ kind: "unknown" });
    expect(result.kind === "unknown" && result.reason).toMatch(/ECONNRESET|socket hang up/);
    expect(placementRequests(emu)).toBe(1);
    expect(await trader.queryOrder(refOf(signal))).toMatchObject({
      kind: "found",
      report: { orderId: emu.orders()[0]?.order_id },
    });
  });

  it.each([
    [503, "json"],
    [502, "json"],
    [504, "json"],
    [502, "text"],
    [500, "json"],
  ] as const)(
    "answers unknown to a %d (%s) and never sends it again; the query then says whether it exists",
    async (status, format) => {
      const { emulator: emu, trader } = await setup();
      emu.setFaults({ orderSystemDown: { next: 1, status, format } });
      const signal = todaysSignal({ id: `sig-down-${status}-${format}` });
      const result = await submit(trader, signal);
      expect(result).toMatchObject({ kind: "unknown" });
      expect(placementRequests(emu)).toBe(1);
      // No lookup inside the placement: resolving it is the engine's call.
      expect(emu.stats().requestsByPath["GET /orders"]).toBeUndefined();
      // This fault created nothing.
      expect(await trader.queryOrder(refOf(signal))).toEqual({ kind: "absent" });
    },
  );

  it.each([
    [502, "json"],
    [504, "json"],
    [502, "html"],
    [503, "text"],
  ] as const)(
    "answers unknown to a %d (%s) that did create the order, which the query then finds",
    async (status, format) => {
      const { emulator: emu, trader } = await setup();
      emu.setFaults({ orderSystemDown: { next: 1, status, format, afterCreate: true } });
      const signal = todaysSignal({ id: `sig-created-${status}-${format}` });
      const result = await submit(trader, signal);
      expect(result).toMatchObject({ kind: "unknown" });
      expect(placementRequests(emu)).toBe(1);
      expect(emu.orders()).toHaveLength(1);
      expect(await trader.queryOrder(refOf(signal))).toMatchObject({
        kind: "found",
        report: { orderId: emu.orders()[0]?.order_id, clientOrderId: orderTag(signal.id) },
      });
    },
  );

  it("declares an order visibility window longer than an order-book lag of 10 s, during which the book does not show a created order", async () => {
    // The emulator's clock is ours: ten seconds of lag pass at once.
    let now = Date.now();
    const { emulator: emu, trader } = await setup({}, { clock: () => now, orderBookLagMs: 10_000 });
    emu.setFaults({ orderSystemDown: { next: 1, status: 502, format: "html", afterCreate: true } });
    const signal = todaysSignal({ id: "sig-lagging" });
    expect(await submit(trader, signal)).toMatchObject({ kind: "unknown" });
    // Kite's word "absent" this early proves nothing: the engine waits orderVisibilityMs.
    expect(await trader.queryOrder(refOf(signal))).toEqual({ kind: "absent" });
    now += 9_900;
    expect(await trader.queryOrder(refOf(signal))).toEqual({ kind: "absent" });
    expect(await trader.orderStatusReports([refOf(signal)])).toEqual({ kind: "ok", reports: [] });
    now += 200;
    expect(await trader.queryOrder(refOf(signal))).toMatchObject({ kind: "found" });
    expect(trader.capabilities.orderVisibilityMs).toBeGreaterThan(10_000 + 200);
    expect(placementRequests(emu)).toBe(1);
  });

  it.each(["json", "text"] as const)(
    "answers unknown to a %s 429, and holds the next placement back",
    async (format) => {
      const { emulator: emu, trader } = await setup();
      emu.setFaults({ tooManyRequests: { next: 1, format, placementsOnly: true } });
      const first = await submit(trader, todaysSignal({ id: `sig-429-${format}` }));
      expect(first).toMatchObject({ kind: "unknown" });
      expect(first.kind === "unknown" && first.reason).toMatch(/too many requests/i);
      const started = Date.now();
      expect((await submit(trader, todaysSignal({ id: `sig-429-${format}-next` }))).kind).toBe(
        "placed",
      );
      // After one 429: at least half of 500 ms of backoff.
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
      expect(placementRequests(emu)).toBe(2);
    },
  );

  it("answers unknown to a 200 that is not JSON (DataException), not success", async () => {
    const { emulator: emu, trader } = await setup();
    emu.setFaults({ unexpectedContentType: { next: 1, placementsOnly: true } });
    const signal = todaysSignal({ id: "sig-html" });
    const result = await submit(trader, signal);
    expect(result).toMatchObject({ kind: "unknown" });
    expect(result.kind === "unknown" && result.reason).toMatch(/DataException/);
    expect(placementRequests(emu)).toBe(1);
    expect(await trader.queryOrder(refOf(signal))).toEqual({ kind: "absent" });
  });

  it("never doubles an order under random 5xx (order created), 429 and timeouts together, and every unknown is resolved by Kite's book", async () => {
    // A client timeout of 1 s, not 300 ms: on a loaded machine a 300 ms timeout can fire before
    // the request reaches the emulator, which then counts fewer than 60 placements.
    const { emulator: emu, trader } = await setup(
      { ...BUSY_ENV, KITE_TIMEOUT_MS: "1000" },
      { ...BUSY_EMULATOR, random: seededRandom(7) },
    );
    emu.setFaults({
      orderSystemDown: { probability: 0.1, afterCreate: true },
      tooManyRequests: { probability: 0.05, placementsOnly: true },
      timeoutAfterAccept: { probability: 0.05, hangMs: 5_000 },
    });
    const signals = Array.from({ length: 60 }, (_, i) => todaysSignal({ id: `sig-mixed-${i}` }));
    const results = await Promise.all(signals.map((signal) => submit(trader, signal)));
    emu.clearFaults();
    expect(placementRequests(emu)).toBe(60);
    const counts = ordersByTag(emu);
    for (const [i, signal] of signals.entries()) {
      const result = results[i];
      const count = counts.get(orderTag(signal.id)) ?? 0;
      expect(count).toBeLessThanOrEqual(1);
      if (result?.kind === "placed") expect(count).toBe(1);
      if (result?.kind === "unknown") {
        const answer: OrderQuery = await trader.queryOrder(refOf(signal));
        expect(answer.kind).toBe(count === 1 ? "found" : "absent");
      }
    }
    expect(kinds(results).placed).toBeGreaterThan(40);
    expect(kinds(results).unknown).toBeGreaterThan(5);
  }, 60_000);
});
