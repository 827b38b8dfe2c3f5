import { describe, expect, it } from "vitest";
import { MarginAccount } from "../account/margin-account.js";
import { PriceBook } from "../account/price-book.js";
import { DEFAULT_INSTRUMENTS } from "../instruments/default-instruments.js";
import { InstrumentTable } from "../instruments/instrument-table.js";
import type { KiteOrder } from "./kite-order.js";
import { OrderBook } from "./order-book.js";
import type { OrderRequest } from "./order-request.js";
import { validateOrder } from "./validate-order.js";

const table = new InstrumentTable(DEFAULT_INSTRUMENTS);

function request(fields: Record<string, string>): OrderRequest {
  const result = validateOrder(
    "regular",
    {
      exchange: "NSE",
      tradingsymbol: "INFY",
      transaction_type: "BUY",
      quantity: "1",
      product: "CNC",
      order_type: "MARKET",
      market_protection: "-1",
      ...fields,
    },
    table,
  );
  if (result.kind !== "valid") throw new Error(result.message);
  return result.request;
}

function setup(fillDelayMs: number, fillSteps = 1, margin = 1_000_000) {
  let now = Date.UTC(2026, 3, 1, 4, 0, 0); // 09:30 IST
  const prices = new PriceBook();
  const states: KiteOrder[] = [];
  const account = new MarginAccount(margin);
  const book = new OrderBook({
    clock: () => now,
    prices,
    margin: account,
    userId: "AB1234",
    fills: () => ({ fillDelayMs, fillSteps }),
    onState: (state) => states.push(state),
  });
  return {
    book,
    prices,
    account,
    states,
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
