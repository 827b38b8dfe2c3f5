import { describe, expect, it } from "vitest";
import { namespacesUnder } from "./compare-run.js";

describe("namespacesUnder", () => {
  const topics = [
    "paper.orders.filled",
    "paper.orders.failed",
    "zerodha.orders.submitted",
    "shadow.paper.orders.filled",
    "shadow.livesim.orders.failed",
    "paper.signals.validated",
    "paper.orders.filled.dlq",
    "market.ticks",
  ];

  it("finds the old engine's namespaces without taking the shadow ones for them", () => {
    expect(namespacesUnder(topics, "")).toEqual(["paper", "zerodha"]);
  });

  it("finds the shadow engine's namespaces under its prefix", () => {
    expect(namespacesUnder(topics, "shadow.")).toEqual(["livesim", "paper"]);
  });
});
