import { describeTraderConformance, sampleSignal } from "@engine/core/testing";
import { afterAll } from "vitest";
import { RELIANCE_KEY, upstoxHarness } from "./test-support/upstox-harness.js";

// LIMIT orders at the sample price, with the market exactly there: BUY and SELL both fill, and a
// BUY far below the market rests (the kit's cancel test).
const harness = await upstoxHarness();
harness.emulator.setPrice(RELIANCE_KEY, 2501.5);
afterAll(() => harness.emulator.stop());

describeTraderConformance({
  namespace: "upstox",
  live: true,
  create: () => harness.trader({ UPSTOX_ORDER_TYPE: "limit" }),
  restingOrder: (id) => ({
    signal: sampleSignal({ id, signalType: "BUY", validatedPrice: 1000 }),
    quote: null,
  }),
  settleTimeoutMs: 3_000,
});
