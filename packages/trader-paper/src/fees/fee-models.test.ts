import { describe, expect, it } from "vitest";
import { FlatPercentFeeModel } from "./flat-percent-fee-model.js";
import { ZerodhaEquityFeeModel } from "./zerodha-equity-fee-model.js";

describe("FlatPercentFeeModel", () => {
  it("charges the percentage of turnover, to the paisa", () => {
    expect(new FlatPercentFeeModel().feesFor({ side: "BUY", quantity: 10, price: 2502 })).toBe(
      25.02,
    );
    expect(new FlatPercentFeeModel(0.05).feesFor({ side: "SELL", quantity: 3, price: 101.1 })).toBe(
      0.15,
    );
  });

  it("rejects a negative percentage", () => {
    expect(() => new FlatPercentFeeModel(-1)).toThrow(RangeError);
  });
});

// Worked by hand from the schedule effective 2024-10-01 (see zerodha-equity-rates.ts).
describe("ZerodhaEquityFeeModel", () => {
  it("intraday BUY 100 @ 2500 on NSE: brokerage capped at ₹20, stamp on the buy side", () => {
    const model = new ZerodhaEquityFeeModel({ product: "intraday" });
    expect(model.breakdown({ side: "BUY", quantity: 100, price: 2500 })).toEqual({
      brokerage: 20, // 0.03 % of 2,50,000 = 75, capped at 20
      stt: 0, // intraday STT is on the sell side only
      exchangeTransaction: 7.43, // 0.00297 % = 7.425
      sebiFee: 0.25, // ₹10 per crore
      stampDuty: 7.5, // 0.003 %
      gst: 4.98, // 18 % of (20 + 0.25 + 7.43) = 4.9824
      total: 40.16,
    });
  });

  it("intraday SELL 100 @ 2510 on NSE: STT on the sell side, rounded to the rupee", () => {
    const model = new ZerodhaEquityFeeModel({ product: "intraday" });
    expect(model.breakdown({ side: "SELL", quantity: 100, price: 2510 })).toEqual({
      brokerage: 20,
      stt: 63, // 0.025 % of 2,51,000 = 62.75
      exchangeTransaction: 7.45, // 7.4547
      sebiFee: 0.25, // 0.251
      stampDuty: 0,
      gst: 4.99, // 18 % of 27.70 = 4.986
      total: 95.69,
    });
  });

  it("intraday brokerage below the cap is 0.03 % of turnover", () => {
    const model = new ZerodhaEquityFeeModel({ product: "intraday" });
    const charges = model.breakdown({ side: "BUY", quantity: 10, price: 500 });
    expect(charges.brokerage).toBe(1.5);
    expect(charges.total).toBe(2.11); // 1.50 + 0.15 + 0.01 + 0.15 + GST 0.30
  });

  it("delivery BUY 10 @ 1500: no brokerage, STT on both sides, higher stamp duty", () => {
    const model = new ZerodhaEquityFeeModel({ product: "delivery" });
    expect(model.breakdown({ side: "BUY", quantity: 10, price: 1500 })).toEqual({
      brokerage: 0,
      stt: 15, // 0.1 % of 15,000
      exchangeTransaction: 0.45, // 0.4455
      sebiFee: 0.02, // 0.015
      stampDuty: 2.25, // 0.015 %
      gst: 0.08, // 18 % of 0.47 = 0.0846
      total: 17.8,
    });
  });

  it("uses BSE's transaction charge on BSE", () => {
    const model = new ZerodhaEquityFeeModel({ exchange: "BSE" });
    // 0.00375 % of 2,50,000 = 9.375
    expect(model.breakdown({ side: "BUY", quantity: 100, price: 2500 }).exchangeTransaction).toBe(
      9.38,
    );
  });
});
