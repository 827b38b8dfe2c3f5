import { clientOrderId, type OrderRef, OrderStatusReportSchema } from "@engine/core";
import type { KiteEmulator, KiteEmulatorOptions } from "@engine/kite-emulator";
import { KiteConnect } from "kiteconnect";
import { describe, expect, it } from "vitest";
import { istDate, kiteTimestampToEpoch } from "../../src/ist-time.js";
import type { KiteApi } from "../../src/kite/kite-api.js";
import type { KiteOrderParams } from "../../src/kite/order-params.js";
import { orderTag } from "../../src/tag.js";
import {
  ACCESS_TOKEN,
  API_KEY,
  ended,
  placedId,
  queryUntil,
  realApi,
  refOf,
  submit,
  todaysSignal,
  traderFixture,
} from "../../src/test-support/harness.js";

const fixture = traderFixture();

/** LIMIT orders, so a price away from the market rests OPEN until `setPrice` moves it. */
const LIMIT_ENV = { ZERODHA_ORDER_TYPE: "LIMIT" };

function setup(
  env: Record<string, string> = {},
  options: KiteEmulatorOptions = {},
  api?: (real: KiteApi) => KiteApi,
) {
  return fixture.setup({ ...LIMIT_ENV, ...env }, options, api);
}

const requests = (emu: KiteEmulator, path: string) => emu.stats().requestsByPath[path] ?? 0;

/** RELIANCE trades at 1425.3 in the emulator: a BUY at 1450 fills, a BUY at 1000 rests. */
const FILLS = 1450;
const RESTS = 1000;

/** Places two orders carrying `tag` at Kite (the emulator) with the real client: their order ids. */
async function placeTwice(
  emu: KiteEmulator,
  tag: string,
  overrides: Partial<KiteOrderParams> = {},
): Promise<[string, string]> {
  const kite = new KiteConnect({ api_key: API_KEY, access_token: ACCESS_TOKEN, root: emu.url });
  const params: KiteOrderParams = {
    exchange: "NSE",
    tradingsymbol: "RELIANCE",
    transaction_type: "BUY",
    quantity: 1,
    product: "MIS",
    order_type: "MARKET",
    validity: "DAY",
    market_protection: -1,
    tag,
    ...overrides,
  };
  // A fresh object each time: the client adds `variety` to the one it is given.
  const place = async () =>
    ((await kite.placeOrder("regular", { ...params } as never)) as { order_id: string }).order_id;
  return [await place(), await place()];
}

/** ISO of the last trade of an order, read from Kite (the emulator) with the real client. */
async function lastFillIso(emu: KiteEmulator, orderId: string): Promise<string> {
  const trades = (await realApi(emu).getOrderTrades(orderId)) as { fill_timestamp: unknown }[];
  const times = trades.map((trade) => kiteTimestampToEpoch(trade.fill_timestamp) ?? 0);
  return new Date(Math.max(...times)).toISOString();
}

describe("ZerodhaTrader.queryOrder", () => {
  it("finds an order by its client order id in today's book, and by Kite's id", async () => {
    const { emulator: emu, trader } = await setup();
    const signal = todaysSignal({ id: "sig-query", validatedPrice: RESTS });
    const orderId = placedId(await submit(trader, signal));
    const before = requests(emu, "GET /orders");
    const byTag = await trader.queryOrder(refOf(signal));
    expect(requests(emu, "GET /orders")).toBe(before + 1);
    expect(byTag).toMatchObject({
      kind: "found",
      report: {
        clientOrderId: clientOrderId(signal.id, "zerodha"),
        orderId,
        status: "accepted",
        quantity: 10,
        filledQuantity: 0,
        averagePrice: null,
        limitPrice: RESTS,
      },
    });
    if (byTag.kind === "found") OrderStatusReportSchema.parse(byTag.report);
    const byId = await trader.queryOrder(refOf(signal, orderId));
    expect(requests(emu, "GET /orders/:order_id")).toBe(1);
    expect(byId).toEqual(byTag);
  });

  it("answers absent for an order Kite does not have, by tag and by id", async () => {
    const { trader } = await setup();
    expect(await trader.queryOrder(refOf(todaysSignal({ id: "never-sent" })))).toEqual({
      kind: "absent",
    });
    expect(await trader.queryOrder(refOf(todaysSignal({ id: "never-sent" }), "999"))).toEqual({
      kind: "absent",
    });
  });

  it("finds an order placed by an earlier version under the signal's tag", async () => {
    const { emulator: emu, trader } = await setup();
    const signal = todaysSignal({ id: "sig-placed-by-v1" });
    const kite = new KiteConnect({ api_key: API_KEY, access_token: ACCESS_TOKEN, root: emu.url });
    const params: KiteOrderParams = {
      exchange: "NSE",
      tradingsymbol: "RELIANCE",
      transaction_type: "BUY",
      quantity: 10,
      product: "MIS",
      order_type: "MARKET",
      validity: "DAY",
      market_protection: -1,
      tag: orderTag(signal.id),
    };
    const placed = (await kite.placeOrder("regular", params as never)) as { order_id: string };
    expect(await trader.queryOrder(refOf(signal))).toMatchObject({
      kind: "found",
      report: { orderId: placed.order_id },
    });
  });

  it("logs an error for any engine order that Kite holds twice, followed or not", async () => {
    const { emulator: emu, trader, logger } = await setup();
    const twice = clientOrderId("sig-ended-long-ago", "zerodha");
    const [first, second] = await placeTwice(emu, twice);
    // Two orders of someone else's with one tag are none of the engine's business.
    await placeTwice(emu, "manual");
    const followed = todaysSignal({ id: "sig-followed", validatedPrice: RESTS });
    placedId(await submit(trader, followed));
    expect(await trader.orderStatusReports([refOf(followed)])).toMatchObject({ kind: "ok" });
    const errors = logger.records.filter(
      (record) =>
        record.message === "several Kite orders carry one client order id: an order placed twice",
    );
    expect(errors.map((record) => record.context)).toEqual([
      expect.objectContaining({
        client_order_id: twice,
        order_ids: [first, second],
      }),
    ]);
  });

  it("answers unknown, with the reason, when Kite cannot be asked", async () => {
    const { emulator: emu, trader } = await setup();
    const signal = todaysSignal({ id: "sig-blind", validatedPrice: RESTS });
    const orderId = placedId(await submit(trader, signal));
    emu.setFaults({ unexpectedContentType: {} });
    const byTag = await trader.queryOrder(refOf(signal));
    expect(byTag).toMatchObject({ kind: "unknown" });
    expect(byTag.kind === "unknown" && byTag.reason).toMatch(/DataException/);
    expect(await trader.queryOrder(refOf(signal, orderId))).toMatchObject({ kind: "unknown" });
    expect(await trader.orderStatusReports([refOf(signal, orderId)])).toMatchObject({
      kind: "unavailable",
    });
  });

  it("reports the time of the last trade as a filled order's updatedAt, not the order's reconciled time", async () => {
    // Kite's after-hours reconciliation stamps the order 16:00; the emulator does not model it,
    // so the real client's answers are restamped as Kite's would be.
    const reconciledAt = `${istDate(Date.now())} 16:00:00`;
    const restamp = (rows: unknown) =>
      (rows as Record<string, unknown>[]).map((row) =>
        row.status === "COMPLETE"
          ? {
              ...row,
              order_timestamp: reconciledAt,
              exchange_update_timestamp: reconciledAt,
              exchange_timestamp: reconciledAt,
            }
          : row,
      );
    const { emulator: emu, trader } = await setup({}, {}, (real) => ({
      ...real,
      getOrders: async () => restamp(await real.getOrders()),
      getOrderHistory: async (id) => restamp(await real.getOrderHistory(id)),
    }));
    const signal = todaysSignal({ id: "sig-reconciled", validatedPrice: FILLS });
    const orderId = placedId(await submit(trader, signal));
    const single = await queryUntil(trader, refOf(signal, orderId), ended);
    const fillTime = await lastFillIso(emu, orderId);
    expect(single).toMatchObject({ kind: "found", report: { status: "filled" } });
    expect(single.kind === "found" && single.report.updatedAt).toBe(fillTime);
    const second = todaysSignal({ id: "sig-reconciled-2", validatedPrice: FILLS });
    const secondId = placedId(await submit(trader, second));
    const batch = await trader.orderStatusReports([refOf(signal, orderId), refOf(second)]);
    expect(batch).toMatchObject({ kind: "ok" });
    const times = batch.kind === "ok" ? batch.reports.map((report) => report.updatedAt) : [];
    expect(times).toEqual([fillTime, await lastFillIso(emu, secondId)]);
    expect(times.some((time) => time?.endsWith("10:30:00.000Z"))).toBe(false);
  });
});

describe("ZerodhaTrader.orderStatusReports", () => {
  it("answers for many orders with one GET /orders, and GET /trades only when an order ended since", async () => {
    const { emulator: emu, trader } = await setup(
      { ZERODHA_ORDERS_PER_SECOND: "100", ZERODHA_ORDERS_PER_MINUTE: "1000" },
      { ordersPerSecond: 0, ordersPerMinute: 0 },
    );
    const refs: OrderRef[] = [];
    for (let i = 0; i < 40; i++) {
      const signal = todaysSignal({ id: `sig-batch-${i}`, validatedPrice: i < 25 ? FILLS : RESTS });
      const orderId = placedId(await submit(trader, signal));
      // Half known by Kite's id, half by the client order id only.
      refs.push(refOf(signal, i % 2 === 0 ? orderId : null));
    }
    const strangers = [refOf(todaysSignal({ id: "stranger" })), refOf(todaysSignal(), "42")];
    const orders = requests(emu, "GET /orders");
    const trades = requests(emu, "GET /trades");
    const all = emu.stats().requests;

    const first = await trader.orderStatusReports([...refs, ...strangers]);
    expect(requests(emu, "GET /orders")).toBe(orders + 1);
    expect(requests(emu, "GET /trades")).toBe(trades + 1);
    expect(emu.stats().requests).toBe(all + 2);
    if (first.kind !== "ok") throw new Error(JSON.stringify(first));
    expect(first.reports.map((report) => report.clientOrderId)).toEqual(
      refs.map((ref) => ref.clientOrderId),
    );
    for (const report of first.reports) OrderStatusReportSchema.parse(report);
    const statuses = first.reports.map((report) => report.status);
    expect(statuses.filter((status) => status === "filled")).toHaveLength(25);
    expect(statuses.filter((status) => status === "accepted")).toHaveLength(15);

    // Nothing ended since: the fill times are known, so no trades are read.
    await trader.orderStatusReports(refs);
    expect(requests(emu, "GET /orders")).toBe(orders + 2);
    expect(requests(emu, "GET /trades")).toBe(trades + 1);

    // The resting orders fill: one more read of the trades covers all of them.
    emu.setPrice("NSE", "RELIANCE", 999);
    const last = await trader.orderStatusReports(refs);
    expect(requests(emu, "GET /orders")).toBe(orders + 3);
    expect(requests(emu, "GET /trades")).toBe(trades + 2);
    expect(last.kind === "ok" && last.reports.every((report) => report.status === "filled")).toBe(
      true,
    );
    expect(last.kind === "ok" && last.reports.every((report) => report.averagePrice !== null)).toBe(
      true,
    );
  }, 30_000);

  it("follows 1,000 open orders at one GET /orders a round, plus one GET /trades in a round where some ended", async () => {
    const { emulator: emu, trader } = await setup(
      {
        ZERODHA_ORDER_TYPE: "MARKET",
        ZERODHA_ORDERS_PER_SECOND: "1000",
        ZERODHA_ORDERS_PER_MINUTE: "60000",
      },
      // Margin for a thousand orders of RELIANCE.
      { ordersPerSecond: 0, ordersPerMinute: 0, availableMargin: 1e9 },
    );
    emu.setFills({ hold: true });
    const signals = Array.from({ length: 1_000 }, (_, i) => todaysSignal({ id: `open-${i}` }));
    const ids: string[] = [];
    // Fifty at a time: a thousand at once would time out on a busy machine, and that is not
    // what this test is about.
    for (let i = 0; i < signals.length; i += 50) {
      const chunk = signals.slice(i, i + 50);
      ids.push(
        ...(await Promise.all(chunk.map(async (one) => placedId(await submit(trader, one))))),
      );
    }
    const refs = signals.map((signal, i) => refOf(signal, ids[i] ?? null));
    const following = [
      "GET /orders",
      "GET /trades",
      "GET /orders/:order_id",
      "GET /orders/:order_id/trades",
    ];
    const reads = () => following.reduce((sum, path) => sum + requests(emu, path), 0);

    const before = reads();
    const open = await trader.orderStatusReports(refs);
    expect(open.kind === "ok" && open.reports.filter((r) => r.status === "accepted")).toHaveLength(
      1_000,
    );
    expect(reads()).toBe(before + 1);

    const released = emu.releaseOrders(ids.slice(0, 10));
    expect(released).toHaveLength(10);
    const round = await trader.orderStatusReports(refs);
    expect(reads()).toBe(before + 3);
    if (round.kind !== "ok") throw new Error(JSON.stringify(round));
    const filled = round.reports.filter((report) => report.status === "filled");
    expect(filled.map((report) => report.orderId).sort()).toEqual([...released].sort());
    for (const report of filled) expect(report.updatedAt).not.toBeNull();

    await trader.orderStatusReports(refs);
    expect(reads()).toBe(before + 4);
  }, 60_000);

  it("reports every order carrying an asked client order id, asked by tag or by Kite's id", async () => {
    const { emulator: emu, trader } = await setup();
    const twice = clientOrderId("sig-placed-twice", "zerodha");
    const [first, second] = await placeTwice(emu, twice, { order_type: "LIMIT", price: RESTS });
    const other = todaysSignal({ id: "sig-placed-once", validatedPrice: RESTS });
    const otherId = placedId(await submit(trader, other));
    for (const orderId of [null, first, second]) {
      const batch = await trader.orderStatusReports([
        { clientOrderId: twice, orderId },
        refOf(other, otherId),
      ]);
      expect(batch.kind === "ok" && batch.reports.map((report) => report.orderId).sort()).toEqual(
        [first, second, otherId].sort(),
      );
    }
  });

  it("asks nothing for no orders", async () => {
    const { emulator: emu, trader } = await setup();
    const before = emu.stats().requests;
    expect(await trader.orderStatusReports([])).toEqual({ kind: "ok", reports: [] });
    expect(emu.stats().requests).toBe(before);
  });
});

describe("ZerodhaTrader.cancelOrder", () => {
  it("cancels a resting order, which then reports cancelled; a second cancel is too late", async () => {
    const { emulator: emu, trader } = await setup();
    const signal = todaysSignal({ id: "sig-cancel", validatedPrice: RESTS });
    const ref = refOf(signal, placedId(await submit(trader, signal)));
    await queryUntil(trader, ref, (answer) => answer.kind === "found");
    expect(await trader.cancelOrder(ref)).toEqual({ kind: "requested" });
    expect(requests(emu, "DELETE /orders/:variety/:order_id")).toBe(1);
    expect(await queryUntil(trader, ref, ended)).toMatchObject({
      kind: "found",
      report: { status: "cancelled", filledQuantity: 0, averagePrice: null },
    });
    const again = await trader.cancelOrder(ref);
    expect(again).toMatchObject({ kind: "too_late" });
    expect(again.kind === "too_late" && again.reason).toMatch(/CANCELLED/);
  });

  it("reports a partly filled order that is cancelled as cancelled with its filled quantity, at its last fill's time", async () => {
    // An emulator on a clock of our own, to stop exactly between two partial fills.
    let now = Date.now();
    const { emulator: emu, trader } = await setup(
      {},
      { clock: () => now, fillDelayMs: 1_000, fillSteps: 2 },
    );
    emu.setPrice("NSE", "RELIANCE", 1400);
    const signal = todaysSignal({ id: "sig-partial", quantity: 10, validatedPrice: 1400 });
    const ref = refOf(signal, placedId(await submit(trader, signal)));
    // The first of two fills is due at 3/4 + 1/8 of the fill delay; the market then moves away.
    now += 875;
    expect(await trader.queryOrder(ref)).toMatchObject({
      kind: "found",
      report: { status: "partially_filled", filledQuantity: 5, averagePrice: 1400 },
    });
    emu.setPrice("NSE", "RELIANCE", 1500);
    now += 600_000;
    expect(await trader.cancelOrder(ref)).toEqual({ kind: "requested" });
    const fillTime = await lastFillIso(emu, ref.orderId ?? "");
    for (const answer of [
      await trader.queryOrder(ref),
      await trader
        .orderStatusReports([ref])
        .then((batch) =>
          batch.kind === "ok" ? { kind: "found", report: batch.reports[0] } : batch,
        ),
    ]) {
      expect(answer).toMatchObject({
        kind: "found",
        report: {
          status: "cancelled",
          quantity: 10,
          filledQuantity: 5,
          averagePrice: 1400,
          updatedAt: fillTime,
        },
      });
    }
  });

  it("cancels a MARKET order held open half filled: cancelled, with the half that filled", async () => {
    const { emulator: emu, trader } = await setup({ ZERODHA_ORDER_TYPE: "MARKET" });
    emu.setFills({ fillSteps: 2, hold: true, holdAfterFills: 1 });
    const signal = todaysSignal({ id: "sig-held", quantity: 10 });
    const ref = refOf(signal, placedId(await submit(trader, signal)));
    await queryUntil(
      trader,
      ref,
      (answer) => answer.kind === "found" && answer.report.status === "partially_filled",
    );
    expect(await trader.cancelOrder(ref)).toEqual({ kind: "requested" });
    expect(await queryUntil(trader, ref, ended)).toMatchObject({
      kind: "found",
      report: { status: "cancelled", quantity: 10, filledQuantity: 5, limitPrice: null },
    });
    expect(emu.stats().cancelRequests).toBe(1);
  });

  it("fails, not retryable, without a Kite order id or for an order Kite does not know", async () => {
    const { emulator: emu, trader } = await setup();
    const noId = await trader.cancelOrder(refOf(todaysSignal({ id: "sig-no-id" })));
    expect(noId).toMatchObject({ kind: "failed", retryable: false });
    expect(requests(emu, "DELETE /orders/:variety/:order_id")).toBe(0);
    const unknown = await trader.cancelOrder(refOf(todaysSignal({ id: "sig-x" }), "424242"));
    expect(unknown).toMatchObject({ kind: "failed", retryable: false });
  });

  it("fails retryably when the answer is late, saying the order may have been cancelled", async () => {
    const { emulator: emu, trader } = await setup({ KITE_TIMEOUT_MS: "300" });
    const signal = todaysSignal({ id: "sig-cancel-late", validatedPrice: RESTS });
    const ref = refOf(signal, placedId(await submit(trader, signal)));
    emu.setFaults({ latencyMs: 1_000 });
    const outcome = await trader.cancelOrder(ref);
    emu.setFaults({ latencyMs: null });
    expect(outcome).toMatchObject({ kind: "failed", retryable: true });
    expect(outcome.kind === "failed" && outcome.reason).toMatch(/may have been cancelled/);
    // It was: the next status report says so.
    expect(await queryUntil(trader, ref, ended)).toMatchObject({
      report: { status: "cancelled" },
    });
  });

  it("fails retryably while Kite rejects the token, sending nothing", async () => {
    const { emulator: emu, trader } = await setup();
    const signal = todaysSignal({ id: "sig-cancel-token", validatedPrice: RESTS });
    const ref = refOf(signal, placedId(await submit(trader, signal)));
    emu.expireToken();
    expect(await trader.cancelOrder(ref)).toMatchObject({ kind: "failed", retryable: true });
    expect(await trader.cancelOrder(ref)).toMatchObject({ kind: "failed", retryable: true });
    // The first was answered TokenException; the second was not sent at all.
    expect(requests(emu, "DELETE /orders/:variety/:order_id")).toBe(1);
  });

  it("counts cancels against the order rate windows, as Kite does", async () => {
    const { emulator: emu, trader } = await setup({ ZERODHA_ORDERS_PER_SECOND: "1" });
    const signal = todaysSignal({ id: "sig-cancel-rate", validatedPrice: RESTS });
    const ref = refOf(signal, placedId(await submit(trader, signal)));
    const started = Date.now();
    expect(await trader.cancelOrder(ref)).toEqual({ kind: "requested" });
    // The placement holds the one slot of the second until a second after it was answered.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const next = Date.now();
    expect((await submit(trader, todaysSignal({ id: "sig-after-cancel" }))).kind).toBe("placed");
    expect(Date.now() - next).toBeGreaterThanOrEqual(900);
    const stats = emu.stats();
    expect(stats.cancelRequests).toBe(1);
    expect(stats.maxOrderRequestsInAnySecond).toBeLessThanOrEqual(1);
    expect(stats.rateLimited).toBe(0);
  });
});
