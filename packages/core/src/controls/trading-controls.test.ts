import { describe, expect, it } from "vitest";
import {
  type ControlRequest,
  ControlRequestSchema,
  controlFromRequest,
  controlKey,
  controlRequestProblems,
} from "./trading-control.js";
import { TradingControls } from "./trading-controls.js";

const AT = Date.parse("2026-12-01T04:00:00Z");

function control(request: Omit<ControlRequest, "reason"> & { reason?: string }, at = AT) {
  return controlFromRequest(
    ControlRequestSchema.parse({ reason: "test", ...request }),
    "ops@desk",
    at,
  );
}

const TARGET = { namespace: "zerodha", strategyId: "s1" };

describe("ControlRequestSchema", () => {
  it.each([
    [{ scope: "global", state: "HALTED", reason: "r" }, true],
    [{ scope: "global", namespace: "zerodha", state: "HALTED", reason: "r" }, false],
    [{ scope: "namespace", state: "HALTED", reason: "r" }, false],
    [{ scope: "namespace", namespace: "zerodha", state: "HALTED", reason: "r" }, true],
    [{ scope: "namespace", namespace: "z", strategy_id: "s", state: "HALTED", reason: "r" }, false],
    [{ scope: "strategy", state: "HALTED", reason: "r" }, false],
    [{ scope: "strategy", strategy_id: "s1", state: "REDUCING", reason: "r" }, true],
    [{ scope: "strategy", strategy_id: "s1", namespace: "z", state: "ACTIVE", reason: "r" }, true],
    [{ scope: "global", state: "STOPPED", reason: "r" }, false],
    [{ scope: "global", state: "HALTED", reason: " " }, false],
    [{ scope: "global", state: "HALTED", reason: "r", expires_at: "tomorrow" }, false],
    // A misspelt field is refused, not dropped (the halt would never expire, or cancel nothing).
    [{ scope: "global", state: "HALTED", reason: "r", expiresAt: "2027-01-01T00:00:00Z" }, false],
    [{ scope: "global", state: "HALTED", reason: "r", cancelOpen: true }, false],
  ])("accepts %j: %s", (body, valid) => {
    expect(ControlRequestSchema.safeParse(body).success).toBe(valid);
  });

  it("keys each scope apart, a strategy on a namespace apart from the strategy everywhere", () => {
    expect(controlKey(control({ scope: "global", state: "HALTED" }))).toBe("global");
    expect(controlKey(control({ scope: "namespace", namespace: "z", state: "HALTED" }))).toBe(
      "namespace:z",
    );
    expect(controlKey(control({ scope: "strategy", strategy_id: "s1", state: "HALTED" }))).toBe(
      "strategy:s1",
    );
    expect(
      controlKey(
        control({ scope: "strategy", strategy_id: "s1", namespace: "z", state: "HALTED" }),
      ),
    ).toBe("strategy:s1@z");
  });

  it("keys a strategy whose id holds an @ apart from a strategy on a namespace", () => {
    const everywhere = control({ scope: "strategy", strategy_id: "A@zerodha", state: "ACTIVE" });
    const onZerodha = control({
      scope: "strategy",
      strategy_id: "A",
      namespace: "zerodha",
      state: "HALTED",
    });
    expect(controlKey(everywhere)).toBe("strategy:A%40zerodha");
    expect(controlKey(everywhere)).not.toBe(controlKey(onZerodha));
    // Resuming strategy "A@zerodha" leaves the halt of strategy A on zerodha in force.
    const controls = new TradingControls();
    controls.apply(onZerodha);
    controls.apply(everywhere);
    expect(controls.resolve({ namespace: "zerodha", strategyId: "A" }, AT).state).toBe("HALTED");
  });
});

describe("controlRequestProblems", () => {
  const request = (body: object) =>
    ControlRequestSchema.parse({ state: "HALTED", reason: "r", ...body });
  const NAMESPACES = ["paper", "zerodha"];

  it("refuses an expires_at at or before now, takes one after it", () => {
    const at = (ms: number) => request({ scope: "global", expires_at: new Date(ms).toISOString() });
    expect(controlRequestProblems(at(AT), { now: AT })).toEqual([
      { path: "expires_at", message: expect.stringContaining("already past") },
    ]);
    expect(controlRequestProblems(at(AT - 1), { now: AT })).toHaveLength(1);
    expect(controlRequestProblems(at(AT + 1), { now: AT })).toEqual([]);
  });

  it("refuses a namespace the engine does not serve, naming those it does", () => {
    const typo = request({ scope: "namespace", namespace: "zerodah" });
    expect(controlRequestProblems(typo, { now: AT, namespaces: NAMESPACES })).toEqual([
      {
        path: "namespace",
        message: 'unknown namespace "zerodah": this engine serves paper, zerodha',
      },
    ]);
    const onTypo = request({ scope: "strategy", strategy_id: "s1", namespace: "zerodah" });
    expect(controlRequestProblems(onTypo, { now: AT, namespaces: NAMESPACES })).toHaveLength(1);
    const known = request({ scope: "namespace", namespace: "zerodha" });
    expect(controlRequestProblems(known, { now: AT, namespaces: NAMESPACES })).toEqual([]);
    expect(controlRequestProblems(typo, { now: AT })).toEqual([]);
    expect(
      controlRequestProblems(request({ scope: "strategy", strategy_id: "any" }), {
        now: AT,
        namespaces: NAMESPACES,
      }),
    ).toEqual([]);
  });
});

describe("TradingControls.resolve", () => {
  it("is ACTIVE with no control at all", () => {
    expect(new TradingControls().resolve(TARGET, AT)).toEqual({ state: "ACTIVE", control: null });
  });

  it.each([
    ["global", { scope: "global" }, true],
    ["its namespace", { scope: "namespace", namespace: "zerodha" }, true],
    ["another namespace", { scope: "namespace", namespace: "paper" }, false],
    ["its strategy", { scope: "strategy", strategy_id: "s1" }, true],
    ["another strategy", { scope: "strategy", strategy_id: "s2" }, false],
    [
      "its strategy on its namespace",
      { scope: "strategy", strategy_id: "s1", namespace: "zerodha" },
      true,
    ],
    [
      "its strategy on another namespace",
      { scope: "strategy", strategy_id: "s1", namespace: "paper" },
      false,
    ],
  ] as const)("a halt of %s applies: %s", (_name, scope, applies) => {
    const controls = new TradingControls();
    controls.apply(control({ ...scope, state: "HALTED" }));
    expect(controls.resolve(TARGET, AT).state).toBe(applies ? "HALTED" : "ACTIVE");
  });

  it("takes the most restrictive applying scope: a strategy resume does not lift a global halt", () => {
    const controls = new TradingControls();
    controls.apply(control({ scope: "strategy", strategy_id: "s1", state: "REDUCING" }));
    controls.apply(control({ scope: "global", state: "HALTED", reason: "exchange issue" }));
    controls.apply(
      control({ scope: "strategy", strategy_id: "s1", namespace: "zerodha", state: "ACTIVE" }),
    );
    const resolved = controls.resolve(TARGET, AT);
    expect(resolved.state).toBe("HALTED");
    expect(resolved.control).toMatchObject({
      scope: "global",
      reason: "exchange issue",
      operator: "ops@desk",
    });
  });

  it("names the most specific scope between equally restrictive ones", () => {
    const controls = new TradingControls();
    controls.apply(control({ scope: "global", state: "REDUCING" }));
    controls.apply(
      control({ scope: "strategy", strategy_id: "s1", namespace: "zerodha", state: "REDUCING" }),
    );
    controls.apply(control({ scope: "namespace", namespace: "zerodha", state: "REDUCING" }));
    expect(controls.resolve(TARGET, AT).control).toMatchObject({
      scope: "strategy",
      namespace: "zerodha",
    });
  });

  it("lets a later change of a scope replace the earlier one (resume)", () => {
    const controls = new TradingControls();
    controls.apply(control({ scope: "global", state: "HALTED" }));
    controls.apply(control({ scope: "global", state: "ACTIVE" }, AT + 1));
    expect(controls.resolve(TARGET, AT + 2).state).toBe("ACTIVE");
    expect(controls.list(AT)).toHaveLength(1);
  });

  it("stops applying a change at its expiry, to the millisecond", () => {
    const controls = new TradingControls();
    const expiresAt = new Date(AT + 60_000).toISOString();
    controls.apply(control({ scope: "global", state: "HALTED", expires_at: expiresAt }));
    expect(controls.resolve(TARGET, AT + 59_999).state).toBe("HALTED");
    expect(controls.resolve(TARGET, AT + 60_000).state).toBe("ACTIVE");
    expect(controls.list(AT + 60_000)[0]?.expired).toBe(true);
  });
});
