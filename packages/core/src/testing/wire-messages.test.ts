import { describe, expect, it } from "vitest";
import { MarketTickEventSchema, ValidatedSignalEventSchema } from "../events/envelope.js";
import { decodeMarketTick } from "../events/market-tick-decoder.js";
import {
  asKafkaMessage,
  fullTickFactory,
  fullTickPool,
  instrumentTokens,
  marketTickEvent,
  validatedSignalEvent,
} from "./wire-messages.js";

describe("wire messages", () => {
  it("builds validated signals the engine's schema accepts, keyed strategy:token", () => {
    const at = new Date("2026-11-23T04:00:00.000Z");
    const event = validatedSignalEvent({
      strategyId: "s1",
      instrumentToken: 256265,
      signalType: "SELL",
      quantity: 3,
      price: null,
      id: "sig-1",
      at,
    });
    const parsed = ValidatedSignalEventSchema.parse(JSON.parse(asKafkaMessage(event).value));
    expect(parsed.key).toBe("s1:256265");
    expect(parsed.ts).toBe(at.toISOString());
    expect(parsed.correlation_id).toBe("corr-sig-1");
    expect(parsed.data.original_signal).toMatchObject({ signal_type: "SELL", quantity: 3 });
    expect(parsed.data.validated_price).toBeNull();
  });

  it("builds small market ticks with a depth level either side of the price", () => {
    const event = marketTickEvent(738561, 2500);
    const decoded = decodeMarketTick(JSON.stringify(event));
    expect(decoded.ok && decoded.value).toMatchObject({
      instrumentToken: 738561,
      lastPrice: 2500,
      bestBid: 2499.95,
      bestAsk: 2500.05,
      hasDepth: true,
    });
  });

  it("makes the same full-mode ticks from the same seed, and different ones from another", () => {
    const at = Date.UTC(2026, 10, 23, 3, 45);
    const first = fullTickFactory(7);
    const again = fullTickFactory(7);
    const other = fullTickFactory(8);
    for (const token of instrumentTokens(5)) {
      const tick = first(token, at);
      expect(again(token, at)).toBe(tick);
      expect(other(token, at)).not.toBe(tick);
    }
  });

  it("fills a pool of full-mode ticks of about 1.27 KB that decode with their depth", () => {
    const pool = fullTickPool(400, 200, 5);
    const mean = pool.reduce((sum, message) => sum + message.value.length, 0) / pool.length;
    expect(mean).toBeGreaterThan(1_200);
    expect(mean).toBeLessThan(1_350);
    expect(new Set(pool.map((message) => message.key)).size).toBe(200);
    for (const message of pool) {
      const event = MarketTickEventSchema.parse(JSON.parse(message.value.toString("utf8")));
      expect(event.key).toBe(message.key);
      const decoded = decodeMarketTick(message.value);
      expect(decoded.ok && decoded.value.hasDepth).toBe(true);
    }
  });
});
