import { describe, expect, it } from "vitest";
import { z } from "zod";
import { controlRequestOf } from "./control-cli.js";

const NOW = Date.parse("2026-12-01T04:00:00Z");

describe("controlRequestOf", () => {
  it("makes the narrowest scope the options name", () => {
    expect(controlRequestOf("HALTED", { reason: "drill" }, NOW).scope).toBe("global");
    expect(controlRequestOf("HALTED", { namespace: "zerodha", reason: "r" }, NOW).scope).toBe(
      "namespace",
    );
    expect(
      controlRequestOf("REDUCING", { namespace: "zerodha", strategy: "s1", reason: "r" }, NOW),
    ).toMatchObject({ scope: "strategy", namespace: "zerodha", strategy_id: "s1" });
  });

  it("refuses an --expires-at already past, naming it, and takes a later one", () => {
    const past = () =>
      controlRequestOf("HALTED", { reason: "r", expiresAt: "2026-12-01T09:00:00+05:30" }, NOW);
    expect(past).toThrow(z.ZodError);
    expect(past).toThrow(/expires_at.*already past/s);
    const later = "2026-12-01T15:30:00+05:30";
    expect(controlRequestOf("HALTED", { reason: "r", expiresAt: later }, NOW).expires_at).toBe(
      later,
    );
  });
});
