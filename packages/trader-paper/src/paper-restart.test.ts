import { FakeClock, sampleQuote, sampleSignal } from "@engine/core/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PaperTrader } from "./paper-trader.js";
import { FakeMarketData } from "./test-support/fake-market-data.js";
import { pgliteSql } from "./test-support/pglite-sql.js";
import { refOf, submit } from "./test-support/submit.js";

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("paper orders across a restart (PGlite as the engine's database)", () => {
  let db: Awaited<ReturnType<typeof pgliteSql>>;
  const traders: PaperTrader[] = [];
  const clock = new FakeClock("2026-11-25T04:00:00Z");

  // PGlite takes a few seconds to start on a busy machine.
  beforeAll(async () => {
    db = await pgliteSql();
  }, 60_000);
  afterAll(() => db.close());
  afterEach(async () => {
    await Promise.all(traders.splice(0).map((trader) => trader.shutdown()));
    db.outage.failing = false;
    // Each test starts on an engine database the paper trader has never used.
    await db.sql.query("drop table if exists paper_orders");
  });

  /** One engine process: a LIMIT paper trader on the shared database. */
  async function start(namespace = "paper") {
    const market = new FakeMarketData();
    const changed = { count: 0 };
    const trader = new PaperTrader({
      namespace,
      orderType: "LIMIT",
      clock,
      sql: db.sql,
      marketData: market,
      ordersChanged: () => {
        changed.count += 1;
      },
    });
    traders.push(trader);
    expect(await trader.initialize()).toBe(true);
    return { trader, market, changed };
  }

  it("finds a resting order after a crash, and fills it on the next quote that reaches it", async () => {
    const first = await start();
    const signal = sampleSignal({ validatedPrice: 2400, quantity: 2 });
    expect((await submit(first.trader, signal, sampleQuote())).kind).toBe("placed");
    // The first process dies without shutting down: `placed` was answered once stored.

    const second = await start();
    const found = await second.trader.queryOrder(refOf(second.trader, signal));
    expect(found.kind === "found" && found.report).toMatchObject({
      status: "accepted",
      limitPrice: 2400,
      quantity: 2,
      updatedAt: "2026-11-25T04:00:00.000Z",
    });
    clock.advance(5_000);
    second.market.publish(sampleQuote({ lastPrice: 2399.5 }));
    await settled();
    expect(second.changed.count).toBe(1);
    const filled = await second.trader.queryOrder(refOf(second.trader, signal));
    expect(filled.kind === "found" && filled.report).toMatchObject({
      status: "filled",
      averagePrice: 2399.5,
      fees: 4.8,
      updatedAt: "2026-11-25T04:00:05.000Z",
    });

    // And the fill itself is stored: a third process reports it as it was.
    const third = await start();
    expect(await third.trader.queryOrder(refOf(third.trader, signal))).toEqual(filled);
  });

  it("keeps a cancel across a restart", async () => {
    const first = await start();
    const signal = sampleSignal({ validatedPrice: 2400 });
    expect((await submit(first.trader, signal, sampleQuote())).kind).toBe("placed");
    expect(await first.trader.cancelOrder(refOf(first.trader, signal))).toEqual({
      kind: "requested",
    });
    const second = await start();
    const batch = await second.trader.orderStatusReports([refOf(second.trader, signal)]);
    expect(batch.kind === "ok" && batch.reports.map((r) => r.status)).toEqual(["cancelled"]);
    second.market.publish(sampleQuote({ lastPrice: 2300 }));
    await settled();
    expect(second.changed.count).toBe(0);
  });

  it("keeps each namespace's orders apart (shadow mode runs several on one database)", async () => {
    const paper = await start("paper");
    const signal = sampleSignal({ validatedPrice: 2400 });
    expect((await submit(paper.trader, signal, sampleQuote())).kind).toBe("placed");
    const shadow = await start("zerodha");
    expect(await shadow.trader.queryOrder(refOf(shadow.trader, signal))).toEqual({
      kind: "absent",
    });
    shadow.market.publish(sampleQuote({ lastPrice: 2300 }));
    await settled();
    const still = await paper.trader.queryOrder(refOf(paper.trader, signal));
    expect(still.kind === "found" && still.report.status).toBe("accepted");
  });

  it("lets the first instance to end a shared order decide how it ended", async () => {
    const a = await start();
    const signal = sampleSignal({ validatedPrice: 2400 });
    expect((await submit(a.trader, signal, sampleQuote())).kind).toBe("placed");
    const b = await start(); // loads the resting order: both simulate it now
    expect(await b.trader.cancelOrder(refOf(b.trader, signal))).toEqual({ kind: "requested" });
    a.market.publish(sampleQuote({ lastPrice: 2300 })); // a fills it in memory, too late
    await settled();
    const seenByA = await a.trader.queryOrder(refOf(a.trader, signal));
    expect(seenByA.kind === "found" && seenByA.report).toMatchObject({
      status: "cancelled",
      averagePrice: null,
    });
  });

  it("answers unknown while its orders cannot be stored, and catches up when they can", async () => {
    const { trader } = await start();
    const signal = sampleSignal({ validatedPrice: 2400 });
    db.outage.failing = true;
    const result = await submit(trader, signal, sampleQuote());
    expect(result.kind).toBe("unknown");
    expect((await trader.queryOrder(refOf(trader, signal))).kind).toBe("unknown");
    expect((await trader.orderStatusReports([refOf(trader, signal)])).kind).toBe("unavailable");
    expect(await trader.cancelOrder(refOf(trader, signal))).toMatchObject({
      kind: "failed",
      retryable: true,
    });
    db.outage.failing = false;
    const found = await trader.queryOrder(refOf(trader, signal));
    expect(found.kind === "found" && found.report.status).toBe("accepted");
    // Stored now: a restarted process has it.
    const restarted = await start();
    const again = await restarted.trader.queryOrder(refOf(restarted.trader, signal));
    expect(again.kind === "found" && again.report.status).toBe("accepted");
  });

  it("cannot start when its table cannot be read", async () => {
    db.outage.failing = true;
    const trader = new PaperTrader({ sql: db.sql, clock });
    traders.push(trader);
    expect(await trader.initialize()).toBe(false);
    db.outage.failing = false;
    expect(await trader.initialize()).toBe(true);
  });
});
