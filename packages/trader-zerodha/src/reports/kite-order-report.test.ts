import { OrderStatusReportSchema } from "@engine/core";
import { describe, expect, it } from "vitest";
import { KiteOrderStateSchema } from "../kite/order-state.js";
import { brokerStatusOf, needsFillTime, orderStatusReport } from "./kite-order-report.js";

const state = (fields: Record<string, unknown>) =>
  KiteOrderStateSchema.parse({
    order_id: "261201000000001",
    status: "OPEN",
    tag: "e0123456789abcdef012",
    quantity: 10,
    filled_quantity: 0,
    average_price: 0,
    price: 0,
    order_type: "MARKET",
    order_timestamp: "2026-12-01 09:15:02",
    exchange_update_timestamp: "2026-12-01 09:15:03",
    ...fields,
  });

describe("brokerStatusOf", () => {
  it.each([
    ["COMPLETE", 10, "filled"],
    ["REJECTED", 0, "rejected"],
    ["REJECTED", 4, "rejected"],
    ["CANCELLED", 0, "cancelled"],
    ["CANCELLED", 5, "cancelled"],
    ["CANCELLED AMO", 0, "cancelled"],
    ["OPEN", 0, "accepted"],
    ["OPEN", 5, "partially_filled"],
    ["TRIGGER PENDING", 0, "accepted"],
    ["PUT ORDER REQ RECEIVED", 0, "accepted"],
    ["VALIDATION PENDING", 0, "accepted"],
    ["OPEN PENDING", 0, "accepted"],
    ["MODIFY VALIDATION PENDING", 0, "accepted"],
    ["MODIFY PENDING", 3, "partially_filled"],
    ["CANCEL PENDING", 0, "accepted"],
    ["CANCEL PENDING", 2, "partially_filled"],
    ["AMO REQ RECEIVED", 0, "accepted"],
    ["SOMETHING NEW", 0, "accepted"],
    ["SOMETHING NEW", 1, "partially_filled"],
  ] as const)("maps %s with %d filled to %s", (status, filled, expected) => {
    expect(brokerStatusOf(status, filled)).toBe(expected);
  });
});

describe("orderStatusReport", () => {
  it("reports a working LIMIT order with its limit price and the exchange's update time", () => {
    const report = orderStatusReport(
      state({ order_type: "LIMIT", price: 1501.35 }),
      "e0123456789abcdef012",
      null,
    );
    expect(OrderStatusReportSchema.parse(report)).toEqual(report);
    expect(report).toEqual({
      clientOrderId: "e0123456789abcdef012",
      orderId: "261201000000001",
      status: "accepted",
      quantity: 10,
      filledQuantity: 0,
      averagePrice: null,
      limitPrice: 1501.35,
      // 09:15:03 IST.
      updatedAt: "2026-12-01T03:45:03.000Z",
      message: null,
      fees: null,
    });
  });

  it("gives a market order no limit price, even with a price Kite filled in", () => {
    expect(orderStatusReport(state({ price: 1425 }), "c", null).limitPrice).toBeNull();
  });

  it("takes a filled order's time from its last trade, and its own time only without one", () => {
    const filled = state({
      status: "COMPLETE",
      filled_quantity: 10,
      average_price: 1425.3,
      order_timestamp: "2026-12-01 16:00:00",
      exchange_update_timestamp: "2026-12-01 16:00:00",
    });
    expect(needsFillTime(filled)).toBe(true);
    const lastFill = Date.parse("2026-12-01T04:01:07Z");
    expect(orderStatusReport(filled, "c", lastFill)).toMatchObject({
      status: "filled",
      filledQuantity: 10,
      averagePrice: 1425.3,
      updatedAt: "2026-12-01T04:01:07.000Z",
    });
    expect(orderStatusReport(filled, "c", null).updatedAt).toBe("2026-12-01T10:30:00.000Z");
  });

  it("keeps a cancelled order's filled part, at the time of its last fill", () => {
    const partial = state({
      status: "CANCELLED",
      filled_quantity: 5,
      average_price: 1400,
      status_message: " ",
    });
    expect(needsFillTime(partial)).toBe(true);
    expect(orderStatusReport(partial, "c", Date.parse("2026-12-01T04:00:00Z"))).toMatchObject({
      status: "cancelled",
      filledQuantity: 5,
      averagePrice: 1400,
      updatedAt: "2026-12-01T04:00:00.000Z",
      message: null,
    });
  });

  it("ignores a fill time for an order that is still working or ended with nothing filled", () => {
    const open = state({ filled_quantity: 5, average_price: 1400 });
    expect(needsFillTime(open)).toBe(false);
    expect(orderStatusReport(open, "c", 0).updatedAt).toBe("2026-12-01T03:45:03.000Z");
    const rejected = state({ status: "REJECTED", status_message: "Insufficient funds." });
    expect(needsFillTime(rejected)).toBe(false);
    expect(orderStatusReport(rejected, "c", 0)).toMatchObject({
      status: "rejected",
      message: "Insufficient funds.",
      averagePrice: null,
    });
  });

  it("has no update time when Kite gives none it can read", () => {
    const report = orderStatusReport(
      state({ order_timestamp: null, exchange_update_timestamp: "soon" }),
      "c",
      null,
    );
    expect(report.updatedAt).toBeNull();
  });
});
