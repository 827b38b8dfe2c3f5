import { describe, expect, it } from "vitest";
import { assertNamespace, MARKET_TICKS_TOPIC, TopicMap } from "./topic-map.js";

describe("TopicMap", () => {
  it.each([
    [
      "paper",
      "paper.signals.validated",
      "paper.orders.submitted",
      "paper.orders.filled",
      "paper.orders.failed",
    ],
    [
      "zerodha",
      "zerodha.signals.validated",
      "zerodha.orders.submitted",
      "zerodha.orders.filled",
      "zerodha.orders.failed",
    ],
    [
      "upstox_2",
      "upstox_2.signals.validated",
      "upstox_2.orders.submitted",
      "upstox_2.orders.filled",
      "upstox_2.orders.failed",
    ],
  ])(
    "names the %s topics as the platform does",
    (namespace, validated, submitted, filled, failed) => {
      const topics = new TopicMap(namespace);
      expect(topics.namespace).toBe(namespace);
      expect(topics.signalsValidated()).toBe(validated);
      expect(topics.ordersSubmitted()).toBe(submitted);
      expect(topics.ordersFilled()).toBe(filled);
      expect(topics.ordersFailed()).toBe(failed);
      expect(topics.marketTicks()).toBe("market.ticks");
    },
  );

  it("puts every namespace topic under the shadow prefix, but not the shared tick topic", () => {
    const topics = new TopicMap("paper", { prefix: "shadow." });
    expect(topics.signalsValidated()).toBe("shadow.paper.signals.validated");
    expect(topics.ordersSubmitted()).toBe("shadow.paper.orders.submitted");
    expect(topics.ordersFilled()).toBe("shadow.paper.orders.filled");
    expect(topics.ordersFailed()).toBe("shadow.paper.orders.failed");
    expect(topics.marketTicks()).toBe(MARKET_TICKS_TOPIC);
  });

  it("names the dead-letter topic of any topic with .dlq", () => {
    const topics = new TopicMap("paper");
    expect(topics.dlq("paper.signals.validated")).toBe("paper.signals.validated.dlq");
    expect(topics.dlq(MARKET_TICKS_TOPIC)).toBe("market.ticks.dlq");
  });

  it("puts dead-letter topics under the prefix too", () => {
    const topics = new TopicMap("paper", { prefix: "shadow." });
    expect(topics.dlq("paper.signals.validated")).toBe("shadow.paper.signals.validated.dlq");
    expect(topics.dlq(MARKET_TICKS_TOPIC)).toBe("shadow.market.ticks.dlq");
  });

  it.each([
    "",
    "Paper",
    "1paper",
    "pa per",
    "paper.live",
    "paper/x",
    "_paper",
    "-paper",
    "zérodha",
  ])("refuses the invalid namespace %j", (namespace) => {
    expect(() => new TopicMap(namespace)).toThrow(TypeError);
    expect(() => assertNamespace(namespace)).toThrow(/Invalid namespace/);
  });

  it.each(["paper", "zerodha", "a", "broker_2", "my-broker"])(
    "accepts the namespace %j",
    (namespace) => {
      expect(() => assertNamespace(namespace)).not.toThrow();
    },
  );
});
