import { describe, expect, it } from "vitest";
import { DEFAULT_INSTRUMENTS } from "../instruments/default-instruments.js";
import { InstrumentTable } from "../instruments/instrument-table.js";
import { marketOrderFields } from "../test-support/order-fields.js";
import { MESSAGES } from "./order-messages.js";
import { validateOrder } from "./validate-order.js";

const table = new InstrumentTable(DEFAULT_INSTRUMENTS);
const base = marketOrderFields();

describe("validateOrder", () => {
  it.each([
    ["missing exchange", { exchange: "" }, MESSAGES.missing("exchange")],
    ["missing quantity", { quantity: "" }, MESSAGES.missing("quantity")],
    ["zero quantity", { quantity: "0" }, MESSAGES.invalid("quantity")],
    ["fractional quantity", { quantity: "1.5" }, MESSAGES.invalid("quantity")],
    ["bad transaction type", { transaction_type: "HOLD" }, MESSAGES.invalid("transaction_type")],
    ["bad product", { product: "BO" }, MESSAGES.invalid("product")],
    ["bad order type", { order_type: "STOP" }, MESSAGES.invalid("order_type")],
    ["bad validity", { validity: "GTC" }, MESSAGES.invalid("validity")],
    ["unknown symbol", { tradingsymbol: "NOPE" }, MESSAGES.unknownInstrument],
    ["symbol on another exchange", { exchange: "BSE" }, MESSAGES.unknownInstrument],
    ["MARKET without protection", { market_protection: "" }, MESSAGES.marketProtectionRequired],
    ["protection above 100", { market_protection: "101" }, MESSAGES.invalidMarketProtection],
    ["protection of -2", { market_protection: "-2" }, MESSAGES.invalidMarketProtection],
    [
      "protection that is not a number",
      { market_protection: "auto" },
      MESSAGES.invalidMarketProtection,
    ],
    ["MARKET with protection 0", { market_protection: "0" }, MESSAGES.zeroMarketProtection],
    [
      "SL-M with protection 0",
      { order_type: "SL-M", trigger_price: "9", market_protection: "0" },
      MESSAGES.zeroMarketProtection,
    ],
    ["LIMIT without price", { order_type: "LIMIT" }, MESSAGES.priceRequired],
    ["SL without trigger", { order_type: "SL", price: "10" }, MESSAGES.triggerRequired],
    [
      "SL-M without protection",
      { order_type: "SL-M", trigger_price: "9", market_protection: "" },
      MESSAGES.marketProtectionRequired,
    ],
    ["tag of 21 characters", { tag: "x".repeat(21) }, MESSAGES.invalidTag],
    ["tag with a dash", { tag: "a-b" }, MESSAGES.invalidTag],
    ["TTL without minutes", { validity: "TTL" }, MESSAGES.invalid("validity_ttl")],
    [
      "disclosed above quantity",
      { disclosed_quantity: "2" },
      MESSAGES.invalid("disclosed_quantity"),
    ],
  ])("rejects %s", (_case, change, message) => {
    expect(validateOrder("regular", { ...base, ...change }, table)).toEqual({
      kind: "invalid",
      message,
    });
  });

  it("checks the lot size of derivatives", () => {
    const future = { ...base, exchange: "NFO", tradingsymbol: "NIFTY26APRFUT", product: "NRML" };
    expect(validateOrder("regular", { ...future, quantity: "64" }, table)).toEqual({
      kind: "invalid",
      message: MESSAGES.lotSize(65),
    });
    expect(validateOrder("regular", { ...future, quantity: "130" }, table).kind).toBe("valid");
  });

  it("requires variety-specific fields", () => {
    expect(validateOrder("co", base, table)).toEqual({
      kind: "invalid",
      message: MESSAGES.triggerRequired,
    });
    expect(validateOrder("iceberg", base, table)).toEqual({
      kind: "invalid",
      message: MESSAGES.missing("iceberg_legs"),
    });
    expect(validateOrder("auction", base, table)).toEqual({
      kind: "invalid",
      message: MESSAGES.missing("auction_number"),
    });
  });

  it("applies defaults and tolerates the fields the client echoes", () => {
    const result = validateOrder(
      "regular",
      { ...base, variety: "regular", order_id: "1", tag: "Strat01" },
      table,
    );
    expect(result).toMatchObject({
      kind: "valid",
      request: {
        validity: "DAY",
        price: 0,
        trigger_price: 0,
        market_protection: -1,
        tag: "Strat01",
        quantity: 1,
      },
    });
  });

  it.each([
    ["a decimal percentage", "1.5", 1.5],
    ["the smallest step above 0", "0.01", 0.01],
    ["100", "100", 100],
    ["automatic", "-1", -1],
  ])("accepts market protection of %s on a MARKET order", (_case, value, parsed) => {
    expect(validateOrder("regular", { ...base, market_protection: value }, table)).toMatchObject({
      kind: "valid",
      request: { market_protection: parsed },
    });
  });

  it("lets a LIMIT order send protection 0, which means nothing for an order with a price", () => {
    const limit = { ...base, order_type: "LIMIT", price: "1500", market_protection: "0" };
    expect(validateOrder("regular", limit, table)).toMatchObject({
      kind: "valid",
      request: { market_protection: 0 },
    });
  });

  it("keeps a LIMIT order's protection optional", () => {
    const limit = { ...base, order_type: "LIMIT", price: "1500", market_protection: "" };
    expect(validateOrder("regular", limit, table)).toMatchObject({
      kind: "valid",
      request: { price: 1500, market_protection: 0 },
    });
  });
});
