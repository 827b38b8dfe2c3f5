import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KiteEmulator } from "./kite-emulator.js";
import { MESSAGES } from "./orders/order-messages.js";
import {
  clientFor,
  historyOf,
  type Kite,
  marketOrder,
  type OrderParams,
  rejectionOf,
  waitForStatus,
} from "./test-support/kite-client.js";

const MARKET_PROTECTION_MESSAGE =
  "Market orders without market protection are not allowed via API. Please set market protection or use a Limit order.";

let emulator: KiteEmulator;
let kite: Kite;

beforeEach(async () => {
  emulator = new KiteEmulator({ apiKey: "key1", accessToken: "token1", fillDelayMs: 20 });
  await emulator.start();
  kite = clientFor(emulator);
});

afterEach(async () => {
  await emulator.stop();
});

describe("order placement through the real kiteconnect client", () => {
  it("places a protected MARKET order that reaches COMPLETE at the configured price", async () => {
    emulator.setPrice("NSE", "INFY", 1500.5);
    const { order_id } = await kite.placeOrder(
      "regular",
      marketOrder({ quantity: 3, tag: "sig1" }),
    );
    expect(order_id).toMatch(/^\d{15}$/);

    const history = await waitForStatus(kite, order_id, "COMPLETE");
    expect(history.map((state) => state.status)).toEqual([
      "PUT ORDER REQ RECEIVED",
      "VALIDATION PENDING",
      "OPEN PENDING",
      "OPEN",
      "COMPLETE",
    ]);
    const done = history.at(-1);
    expect(done).toMatchObject({
      average_price: 1500.5,
      filled_quantity: 3,
      pending_quantity: 0,
      tag: "sig1",
      tags: ["sig1"],
      instrument_token: 408065,
    });
    // The client turns the 19-character IST timestamps into Dates in the host's zone.
    expect(done?.order_timestamp).toBeInstanceOf(Date);
  });

  it("completes on the first read when fillDelayMs is 0", async () => {
    emulator.setFills({ fillDelayMs: 0 });
    const { order_id } = await kite.placeOrder("regular", marketOrder());
    const history = await historyOf(kite, order_id);
    expect(history.at(-1)?.status).toBe("COMPLETE");
  });

  it.each([
    ["MARKET", "without market_protection", {}, undefined, MARKET_PROTECTION_MESSAGE],
    [
      "SL-M",
      "without market_protection",
      { trigger_price: 1600 },
      undefined,
      MARKET_PROTECTION_MESSAGE,
    ],
    ["MARKET", "with market_protection 0", {}, 0, MESSAGES.zeroMarketProtection],
    ["SL-M", "with market_protection 0", { trigger_price: 1600 }, 0, MESSAGES.zeroMarketProtection],
  ] as const)(
    "rejects a %s order %s, as Kite does since April 2026",
    async (order_type, _case, extra, protection, message) => {
      const params = marketOrder({ order_type, ...extra });
      if (protection === undefined) delete params.market_protection;
      else params.market_protection = protection;
      const reason = await rejectionOf(kite.placeOrder("regular", params));
      // A plain object, not an Error, and without the HTTP status.
      expect(reason).not.toBeInstanceOf(Error);
      expect(reason).toEqual({
        status: "error",
        message,
        error_type: "InputException",
        data: null,
      });
      expect(emulator.orders()).toHaveLength(0);
    },
  );

  it("rejects market_protection outside -1 and (0, 100]", async () => {
    const reason = await rejectionOf(
      kite.placeOrder("regular", marketOrder({ market_protection: 150 })),
    );
    expect(reason.error_type).toBe("InputException");
    expect(reason.message).toContain("market_protection");
  });

  it("accepts a decimal market_protection such as 1.5 and shows it on the order", async () => {
    emulator.setFills({ fillDelayMs: 0 });
    const { order_id } = await kite.placeOrder(
      "regular",
      marketOrder({ market_protection: 1.5, tag: "mp15" }),
    );
    expect(emulator.requests()[0]?.body.market_protection).toBe("1.5");
    const done = (await historyOf(kite, order_id)).at(-1) as unknown as Record<string, unknown>;
    expect(done).toMatchObject({ status: "COMPLETE", market_protection: 1.5 });
  });

  it("fills a LIMIT order at its limit price when the market is there", async () => {
    emulator.setPrice("NSE", "RELIANCE", 1410);
    const params: OrderParams = marketOrder({
      tradingsymbol: "RELIANCE",
      order_type: "LIMIT",
      price: 1410,
      quantity: 2,
    });
    delete params.market_protection;
    const { order_id } = await kite.placeOrder("regular", params);
    const done = (await waitForStatus(kite, order_id, "COMPLETE")).at(-1);
    expect(done?.average_price).toBe(1410);
  });

  it("keeps a LIMIT order OPEN until the price reaches it, then fills at the limit or better", async () => {
    emulator.setPrice("NSE", "RELIANCE", 1425.3);
    const { order_id } = await kite.placeOrder(
      "regular",
      marketOrder({ tradingsymbol: "RELIANCE", order_type: "LIMIT", price: 1400 }),
    );
    await waitForStatus(kite, order_id, "OPEN");
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect((await historyOf(kite, order_id)).at(-1)?.status).toBe("OPEN");

    emulator.setPrice("NSE", "RELIANCE", 1398.5);
    const done = (await waitForStatus(kite, order_id, "COMPLETE")).at(-1);
    expect(done?.average_price).toBe(1398.5);
  });

  it("rejects a LIMIT order without a price", async () => {
    const params = marketOrder({ order_type: "LIMIT" });
    const reason = await rejectionOf(kite.placeOrder("regular", params));
    expect(reason.error_type).toBe("InputException");
  });

  it("accepts an order beyond the margin and shows it REJECTED with Kite's funds message", async () => {
    emulator.setAvailableMargin(1200.5);
    const { order_id } = await kite.placeOrder(
      "regular",
      marketOrder({ tradingsymbol: "RELIANCE", order_type: "LIMIT", price: 2501.5, quantity: 10 }),
    );
    const history = await waitForStatus(kite, order_id, "REJECTED");
    expect(history.map((state) => state.status)).toEqual([
      "PUT ORDER REQ RECEIVED",
      "VALIDATION PENDING",
      "REJECTED",
    ]);
    expect(history.at(-1)?.status_message).toBe(
      "Insufficient funds. Required margin is 25015.00 but available margin is 1200.50.",
    );
    const orders = (await kite.getOrders()) as unknown as { order_id: string; status: string }[];
    expect(orders).toContainEqual(expect.objectContaining({ order_id, status: "REJECTED" }));
  });

  it.each([
    ["longer than 20 characters", "a".repeat(21)],
    ["not alphanumeric", "sig-1"],
  ])("rejects a tag %s", async (_case, tag) => {
    const reason = await rejectionOf(kite.placeOrder("regular", marketOrder({ tag })));
    expect(reason.error_type).toBe("InputException");
    expect(reason.message).toContain("tag");
    expect(emulator.orders()).toHaveLength(0);
  });

  it("rejects an unknown tradingsymbol and a quantity off the lot size", async () => {
    const unknown = await rejectionOf(
      kite.placeOrder("regular", marketOrder({ tradingsymbol: "NOSUCH" })),
    );
    expect(unknown.error_type).toBe("InputException");
    const offLot = await rejectionOf(
      kite.placeOrder(
        "regular",
        marketOrder({
          exchange: "NFO",
          tradingsymbol: "NIFTY26APRFUT",
          product: "NRML",
          quantity: 10,
        }),
      ),
    );
    expect(offLot).toMatchObject({ error_type: "InputException" });
    expect(offLot.message).toContain("65");
  });

  it("adds variety to the caller's params object and echoes path values as fields", async () => {
    const params = marketOrder({ tag: "echo1" });
    const { order_id } = await kite.placeOrder("regular", params);
    expect(params).toHaveProperty("variety", "regular");
    await kite.getOrderHistory(order_id);

    const [placement, history] = emulator.requests();
    expect(placement?.body).toMatchObject({ variety: "regular", tag: "echo1", quantity: "1" });
    expect(history?.query).toEqual({ order_id });
  });

  it("answers an unknown order id with InputException", async () => {
    const reason = await rejectionOf(kite.getOrderHistory("250101999999999"));
    expect(reason).toMatchObject({
      error_type: "InputException",
      message: "Couldn't find that `order_id`.",
    });
  });

  it("lists the latest state of every order with Kite's fields", async () => {
    emulator.setFills({ fillDelayMs: 0 });
    await kite.placeOrder("regular", marketOrder({ tag: "a1" }));
    await kite.placeOrder("regular", marketOrder({ tag: "b2", transaction_type: "SELL" }));
    const response = await fetch(`${emulator.url}/orders`, {
      headers: { "X-Kite-Version": "3", Authorization: "token key1:token1" },
    });
    expect(response.headers.get("content-type")).toBe("application/json");
    const { status, data } = (await response.json()) as {
      status: string;
      data: Record<string, unknown>[];
    };
    expect(status).toBe("success");
    expect(data.map((order) => order.tag)).toEqual(["a1", "b2"]);
    const first = data[0] ?? {};
    for (const field of [
      "order_id",
      "exchange_order_id",
      "parent_order_id",
      "status",
      "status_message",
      "status_message_raw",
      "order_timestamp",
      "exchange_timestamp",
      "variety",
      "exchange",
      "tradingsymbol",
      "instrument_token",
      "order_type",
      "transaction_type",
      "validity",
      "product",
      "quantity",
      "disclosed_quantity",
      "price",
      "trigger_price",
      "average_price",
      "filled_quantity",
      "pending_quantity",
      "cancelled_quantity",
      "market_protection",
      "tag",
      "tags",
      "guid",
    ]) {
      expect(first).toHaveProperty(field);
    }
    expect(first.parent_order_id).toBeNull();
    expect(first.order_timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(typeof first.instrument_token).toBe("number");
  });

  it("fills in steps when partial fills are configured", async () => {
    emulator.setFills({ fillDelayMs: 40, fillSteps: 3 });
    const { order_id } = await kite.placeOrder("regular", marketOrder({ quantity: 3 }));
    const history = await waitForStatus(kite, order_id, "COMPLETE");
    const fills = history
      .filter((state) => state.filled_quantity > 0)
      .map((state) => [state.status, state.filled_quantity, state.pending_quantity]);
    expect(fills).toEqual([
      ["OPEN", 1, 2],
      ["OPEN", 2, 1],
      ["COMPLETE", 3, 0],
    ]);
    const trades = (await kite.getOrderTrades(order_id)) as unknown as { quantity: number }[];
    expect(trades.map((trade) => trade.quantity)).toEqual([1, 1, 1]);
  });

  it("cancels a LIMIT order resting away from the market and releases its margin", async () => {
    emulator.setAvailableMargin(100_000);
    const { order_id } = await kite.placeOrder(
      "regular",
      marketOrder({ tradingsymbol: "RELIANCE", order_type: "LIMIT", price: 1000, quantity: 5 }),
    );
    await waitForStatus(kite, order_id, "OPEN");
    const margins = (await kite.getMargins("equity")) as unknown as { net: number };
    expect(margins.net).toBe(95_000);

    await expect(kite.cancelOrder("regular", order_id)).resolves.toEqual({ order_id });
    const done = (await historyOf(kite, order_id)).at(-1);
    expect(done).toMatchObject({
      status: "CANCELLED",
      filled_quantity: 0,
      cancelled_quantity: 5,
      pending_quantity: 0,
    });
    expect(((await kite.getMargins("equity")) as unknown as { net: number }).net).toBe(100_000);
    // The market reaching the old limit fills nothing any more.
    emulator.setPrice("NSE", "RELIANCE", 990);
    expect((await historyOf(kite, order_id)).at(-1)?.status).toBe("CANCELLED");
    expect(await kite.getTrades()).toEqual([]);
    expect(emulator.stats()).toMatchObject({ cancelRequests: 1, cancellations: 1 });

    const again = await rejectionOf(kite.cancelOrder("regular", order_id));
    expect(again.error_type).toBe("InputException");
  });

  it("modifies an open LIMIT order so that it fills", async () => {
    const { order_id } = await kite.placeOrder(
      "regular",
      marketOrder({ tradingsymbol: "SBIN", order_type: "LIMIT", price: 700 }),
    );
    await waitForStatus(kite, order_id, "OPEN");
    await kite.modifyOrder("regular", order_id, { price: 825 });
    const history = await waitForStatus(kite, order_id, "COMPLETE");
    expect(history.map((state) => state.status)).toContain("MODIFY PENDING");
    expect(history.at(-1)?.average_price).toBe(820.45);
  });

  it("keeps AMO orders waiting for the market", async () => {
    emulator.setFills({ fillDelayMs: 0 });
    const { order_id } = await kite.placeOrder("amo", marketOrder());
    expect((await historyOf(kite, order_id)).at(-1)?.status).toBe("AMO REQ RECEIVED");
  });
});
