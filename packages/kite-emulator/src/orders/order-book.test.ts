import { describe, expect, it } from "vitest";
import { MarginAccount } from "../account/margin-account.js";
import { PriceBook } from "../account/price-book.js";
import { DEFAULT_INSTRUMENTS } from "../instruments/default-instruments.js";
import { InstrumentTable } from "../instruments/instrument-table.js";
import { marketOrderFields } from "../test-support/order-fields.js";
import type { FillSettings } from "./fill-settings.js";
import type { KiteOrder } from "./kite-order.js";
import { OrderBook } from "./order-book.js";
import type { OrderRequest } from "./order-request.js";
import { validateOrder } from "./validate-order.js";

const table = new InstrumentTable(DEFAULT_INSTRUMENTS);

function request(fields: Record<string, string>): OrderRequest {
  const result = validateOrder("regular", marketOrderFields(fields), table);
  if (result.kind !== "valid") throw new Error(result.message);
  return result.request;
}

function setup(fillDelayMs: number, fillSteps = 1, margin = 1_000_000) {
  let now = Date.UTC(2026, 3, 1, 4, 0, 0); // 09:30 IST
  const prices = new PriceBook();
  const states: KiteOrder[] = [];
  const account = new MarginAccount(margin);
  const fills: FillSettings = { fillDelayMs, fillSteps, hold: false, holdAfterFills: 0 };
  const lag = { ms: 0 };
  const book = new OrderBook({
    clock: () => now,
    prices,
    margin: account,
    userId: "AB1234",
    fills: () => fills,
    orderBookLagMs: () => lag.ms,
    onState: (state) => states.push(state),
  });
  return {
    book,
    prices,
    account,
    states,
    fills,
    lag,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const statuses = (history: KiteOrder[] | undefined) => history?.map((state) => state.status);

describe("OrderBook lifecycle under a fake clock", () => {
  it("walks the statuses at quarters of the fill delay", () => {
    const { book, advance } = setup(100);
    const { order_id } = book.place(request({}));
    expect(order_id).toBe("260401000000001");
    expect(statuses(book.history(order_id))).toEqual(["PUT ORDER REQ RECEIVED"]);
    advance(25);
    expect(statuses(book.history(order_id))?.at(-1)).toBe("VALIDATION PENDING");
    advance(25);
    expect(statuses(book.history(order_id))?.at(-1)).toBe("OPEN PENDING");
    advance(25);
    const open = book.history(order_id)?.at(-1);
    expect(open).toMatchObject({ status: "OPEN", exchange_order_id: "1100000000000001" });
    expect(open?.exchange_timestamp).toBe("2026-04-01 09:30:00");
    advance(25);
    expect(book.history(order_id)?.at(-1)).toMatchObject({
      status: "COMPLETE",
      average_price: 1530.6,
      filled_quantity: 1,
      pending_quantity: 0,
    });
  });

  it("triggers a SELL SL-M order only when the price falls to the trigger", () => {
    const { book, prices, advance } = setup(0);
    const { order_id } = book.place(
      request({ order_type: "SL-M", trigger_price: "1500", transaction_type: "SELL" }),
    );
    expect(statuses(book.history(order_id))?.at(-1)).toBe("TRIGGER PENDING");
    prices.set("NSE", "INFY", 1499);
    advance(1);
    expect(statuses(book.history(order_id))?.slice(-2)).toEqual(["OPEN", "COMPLETE"]);
    expect(book.history(order_id)?.at(-1)?.average_price).toBe(1499);
  });

  it("cancels an IOC limit order that cannot fill", () => {
    const { book } = setup(0);
    const { order_id } = book.place(
      request({ order_type: "LIMIT", price: "1000", validity: "IOC", market_protection: "" }),
    );
    expect(book.history(order_id)?.at(-1)).toMatchObject({
      status: "CANCELLED",
      cancelled_quantity: 1,
    });
  });

  it("blocks margin for accepted orders and rejects what does not fit", () => {
    const { book, account } = setup(0, 1, 5_000);
    const first = book.place(request({ quantity: "3" }));
    expect(account.available).toBeCloseTo(5_000 - 3 * 1530.6, 2);
    const second = book.place(request({ quantity: "1" }));
    expect(book.history(first.order_id)?.at(-1)?.status).toBe("COMPLETE");
    expect(book.history(second.order_id)?.at(-1)).toMatchObject({
      status: "REJECTED",
      status_message:
        "Insufficient funds. Required margin is 1530.60 but available margin is 408.20.",
    });
  });

  it("reports every state to the listener in order", () => {
    const { book, states } = setup(0);
    book.place(request({}));
    expect(states.map((state) => state.status)).toEqual([
      "PUT ORDER REQ RECEIVED",
      "VALIDATION PENDING",
      "OPEN PENDING",
      "OPEN",
      "COMPLETE",
    ]);
  });
});

describe("OrderBook order-book lag under a fake clock", () => {
  it("leaves a new order out of the listed book and trades until its lag has passed", () => {
    const { book, lag, advance } = setup(0);
    lag.ms = 1_200;
    const { order_id } = book.place(request({}));
    // History and the order's own trades know it at once.
    expect(statuses(book.history(order_id))?.at(-1)).toBe("COMPLETE");
    expect(book.trades(order_id)).toHaveLength(1);
    expect(book.listed()).toEqual([]);
    expect(book.listedTrades()).toEqual([]);
    advance(1_199);
    expect(book.listed()).toEqual([]);
    advance(1);
    expect(book.listed().map((order) => [order.order_id, order.status])).toEqual([
      [order_id, "COMPLETE"],
    ]);
    expect(book.listedTrades().map((trade) => trade.order_id)).toEqual([order_id]);
  });

  it("captures the lag at placement, so a later change affects later orders only", () => {
    const { book, lag, advance } = setup(0);
    lag.ms = 500;
    const early = book.place(request({ tag: "early" }));
    lag.ms = 0;
    const late = book.place(request({ tag: "late" }));
    expect(book.listed().map((order) => order.order_id)).toEqual([late.order_id]);
    advance(500);
    expect(book.listed().map((order) => order.order_id)).toEqual([early.order_id, late.order_id]);
    expect(book.latest()).toHaveLength(2);
  });
});

describe("OrderBook held fills under a fake clock", () => {
  it("stops a held order at OPEN whatever the time, and fills it from its release", () => {
    const { book, fills, advance } = setup(100);
    fills.hold = true;
    const { order_id } = book.place(request({ quantity: "2" }));
    advance(60_000);
    expect(book.history(order_id)?.at(-1)).toMatchObject({
      status: "OPEN",
      filled_quantity: 0,
      pending_quantity: 2,
    });
    expect(book.heldCount()).toBe(1);
    expect(book.release()).toEqual([order_id]);
    const done = book.history(order_id)?.at(-1);
    // Released a minute after placement, at 09:31:00 IST, and filled at once.
    expect(done).toMatchObject({ status: "COMPLETE", filled_quantity: 2 });
    expect(done?.order_timestamp).toBe("2026-04-01 09:31:00");
    expect(book.heldCount()).toBe(0);
    expect(book.release()).toEqual([]);
  });

  it("holds after k partial fills and continues at the usual pace from the release", () => {
    const { book, fills, advance } = setup(400, 4);
    Object.assign(fills, { hold: true, holdAfterFills: 2 });
    const { order_id } = book.place(request({ quantity: "4" }));
    advance(10_000);
    expect(book.history(order_id)?.at(-1)).toMatchObject({
      status: "OPEN",
      filled_quantity: 2,
      pending_quantity: 2,
    });
    book.release([order_id]);
    // The third fill at the release, the fourth one fill interval d/(4n) = 400/16 = 25 ms later.
    expect(book.history(order_id)?.at(-1)).toMatchObject({ status: "OPEN", filled_quantity: 3 });
    advance(24);
    expect(book.history(order_id)?.at(-1)?.filled_quantity).toBe(3);
    advance(1);
    expect(book.history(order_id)?.at(-1)).toMatchObject({
      status: "COMPLETE",
      filled_quantity: 4,
    });
    expect(book.trades(order_id)?.map((trade) => trade.quantity)).toEqual([1, 1, 1, 1]);
  });

  it("cancels a held, partly filled order, keeping the fills and releasing the rest's margin", () => {
    const { book, fills, account } = setup(0, 2, 10_000);
    Object.assign(fills, { hold: true, holdAfterFills: 1 });
    const { order_id } = book.place(request({ quantity: "4" }));
    expect(book.history(order_id)?.at(-1)).toMatchObject({ status: "OPEN", filled_quantity: 2 });
    expect(account.available).toBeCloseTo(10_000 - 4 * 1530.6, 2);
    expect(book.cancel(order_id)).toEqual({ kind: "ok", orderId: order_id });
    expect(statuses(book.history(order_id))?.slice(-2)).toEqual(["CANCEL PENDING", "CANCELLED"]);
    expect(book.history(order_id)?.at(-1)).toMatchObject({
      filled_quantity: 2,
      cancelled_quantity: 2,
      pending_quantity: 0,
      average_price: 1530.6,
    });
    expect(account.available).toBeCloseTo(10_000 - 2 * 1530.6, 2);
    expect(book.heldCount()).toBe(0);
    expect(book.release([order_id])).toEqual([]);
  });

  it("holds only orders placed while the hold is on, and releases only the ids asked for", () => {
    const { book, fills } = setup(0);
    const free = book.place(request({}));
    fills.hold = true;
    const first = book.place(request({}));
    const second = book.place(request({}));
    fills.hold = false;
    const after = book.place(request({}));
    expect(book.latest().map((order) => order.status)).toEqual([
      "COMPLETE",
      "OPEN",
      "OPEN",
      "COMPLETE",
    ]);
    expect(book.release([second.order_id, free.order_id, "nope"])).toEqual([second.order_id]);
    expect(book.history(first.order_id)?.at(-1)?.status).toBe("OPEN");
    expect(book.history(second.order_id)?.at(-1)?.status).toBe("COMPLETE");
    expect(book.history(after.order_id)?.at(-1)?.status).toBe("COMPLETE");
  });

  it("keeps a released LIMIT order away from the market waiting for its price", () => {
    const { book, fills, prices, advance } = setup(0);
    fills.hold = true;
    const { order_id } = book.place(
      request({ order_type: "LIMIT", price: "1500", market_protection: "" }),
    );
    book.release();
    advance(1_000);
    expect(book.history(order_id)?.at(-1)?.status).toBe("OPEN");
    prices.set("NSE", "INFY", 1499);
    advance(1);
    expect(book.history(order_id)?.at(-1)).toMatchObject({
      status: "COMPLETE",
      average_price: 1499,
    });
  });
});
