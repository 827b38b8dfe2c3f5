import { describe, expect, it } from "vitest";
import { OrderFailedSchema } from "../events/payloads.js";
import { sampleSignal } from "../testing/sample-signals.js";
import { ExecutionResultSchema, failedResult, resultKey } from "./execution-result.js";

const details = {
  namespace: "zerodha",
  code: "MARKET_CLOSED",
  message: "the session closed at 15:30 IST",
  timestamp: "2026-11-23T10:00:01Z",
} as const;

describe("failedResult", () => {
  it("builds a contract order_failed payload from the signal", () => {
    const signal = sampleSignal({
      quantity: 10,
      validatedQuantity: 6,
      price: 2501.5,
      validatedPrice: 2499,
    });
    const result = failedResult(signal, details);
    expect(result).toEqual({
      kind: "failed",
      payload: {
        strategy_id: "momentum_nifty_1",
        instrument_token: 738561,
        signal_type: "BUY",
        quantity: 6,
        price: 2499,
        order_id: "N/A",
        execution_mode: "zerodha",
        error_message: "the session closed at 15:30 IST",
        error_code: "MARKET_CLOSED",
        timestamp: "2026-11-23T10:00:01Z",
        broker: "zerodha",
      },
    });
    expect(OrderFailedSchema.safeParse(result.payload).success).toBe(true);
    expect(ExecutionResultSchema.safeParse(result).success).toBe(true);
  });

  it("falls back to the strategy's price when the risk manager set none", () => {
    const result = failedResult(sampleSignal({ price: 2501.5, validatedPrice: null }), details);
    expect(result.payload).toMatchObject({ price: 2501.5 });
    const none = failedResult(sampleSignal({ price: null, validatedPrice: null }), details);
    expect(none.payload).toMatchObject({ price: null });
  });

  it("carries the broker's order id when one exists", () => {
    const result = failedResult(sampleSignal(), { ...details, orderId: "230405000123456" });
    expect(result.payload.order_id).toBe("230405000123456");
  });
});

describe("resultKey", () => {
  it("is strategy_id:instrument_token", () => {
    expect(resultKey(sampleSignal({ strategyId: "mean_rev_2", instrumentToken: 256265 }))).toBe(
      "mean_rev_2:256265",
    );
  });
});
