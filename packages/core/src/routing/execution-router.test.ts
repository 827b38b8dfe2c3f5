import { describe, expect, it } from "vitest";
import type { Logger } from "../ports/logger.js";
import type { StrategyConfig, StrategyConfigSource } from "../ports/strategy-config-source.js";
import { FakeClock } from "../testing/fake-clock.js";
import { InMemoryStrategySource } from "../testing/in-memory-strategy-source.js";
import { RecordingLogger } from "../testing/recording-logger.js";
import { ExecutionRouter, type RouteTarget, type StrategyLookup } from "./execution-router.js";

const STRATEGY = "momentum_nifty_1";

function paperTarget(enabled = true): RouteTarget {
  return { namespace: "paper", live: false, enabled, enabledFor: () => true };
}

function zerodhaTarget(enabled = true): RouteTarget {
  return {
    namespace: "zerodha",
    live: true,
    enabled,
    enabledFor: (strategy) => strategy.zerodha_trading_enabled,
  };
}

function router(
  targets: RouteTarget[],
  strategies: StrategyConfigSource,
  options: { clock?: FakeClock; cacheTtlMs?: number; logger?: Logger } = {},
) {
  return new ExecutionRouter({
    targets,
    strategies,
    cacheTtlMs: options.cacheTtlMs ?? 5000,
    clock: options.clock ?? new FakeClock(0),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/** A source whose reads wait until released, to hold a read in flight. */
class GatedSource implements StrategyConfigSource {
  reads = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly inner: InMemoryStrategySource) {}

  async get(strategyId: string): Promise<StrategyConfig | null> {
    this.reads += 1;
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return this.inner.get(strategyId);
  }

  release(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

type StrategyCase =
  | "not found"
  | "inactive"
  | "active, zerodha on"
  | "active, zerodha off"
  | "read fails";

function sourceFor(strategyCase: StrategyCase): InMemoryStrategySource {
  const source = new InMemoryStrategySource();
  switch (strategyCase) {
    case "not found":
      break;
    case "inactive":
      source.put({ id: STRATEGY, is_active: false, zerodha_trading_enabled: true });
      break;
    case "active, zerodha on":
      source.put({ id: STRATEGY, is_active: true, zerodha_trading_enabled: true });
      break;
    case "active, zerodha off":
      source.put({ id: STRATEGY, is_active: true, zerodha_trading_enabled: false });
      break;
    case "read fails":
      source.put({ id: STRATEGY, is_active: true, zerodha_trading_enabled: true });
      source.failure = new Error("connection refused by postgres");
      break;
  }
  return source;
}

describe("ExecutionRouter routing rules", () => {
  // paper enabled, zerodha enabled, strategy, expected namespaces, expected lookup, reads
  const table: [boolean, boolean, StrategyCase, string[], StrategyLookup, number][] = [
    [true, true, "not found", ["paper"], "not_found", 1],
    [true, true, "inactive", ["paper"], "found", 1],
    [true, true, "active, zerodha on", ["paper", "zerodha"], "found", 1],
    [true, true, "active, zerodha off", ["paper"], "found", 1],
    [true, true, "read fails", ["paper"], "unavailable", 1],
    [false, true, "not found", [], "not_found", 1],
    [false, true, "inactive", [], "found", 1],
    [false, true, "active, zerodha on", ["zerodha"], "found", 1],
    [false, true, "active, zerodha off", [], "found", 1],
    [false, true, "read fails", [], "unavailable", 1],
    [true, false, "not found", ["paper"], "not_needed", 0],
    [true, false, "inactive", ["paper"], "not_needed", 0],
    [true, false, "active, zerodha on", ["paper"], "not_needed", 0],
    [true, false, "active, zerodha off", ["paper"], "not_needed", 0],
    [true, false, "read fails", ["paper"], "not_needed", 0],
    [false, false, "not found", [], "not_needed", 0],
    [false, false, "inactive", [], "not_needed", 0],
    [false, false, "active, zerodha on", [], "not_needed", 0],
    [false, false, "active, zerodha off", [], "not_needed", 0],
    [false, false, "read fails", [], "not_needed", 0],
  ];

  it.each(table)(
    "paper enabled=%s, zerodha enabled=%s, strategy %s: routes to %j (%s)",
    async (paperOn, zerodhaOn, strategyCase, namespaces, lookup, reads) => {
      const source = sourceFor(strategyCase);
      const decision = await router([paperTarget(paperOn), zerodhaTarget(zerodhaOn)], source).route(
        STRATEGY,
      );
      expect(decision.strategyId).toBe(STRATEGY);
      expect(decision.namespaces).toEqual(namespaces);
      expect(decision.strategy).toBe(lookup);
      if (lookup === "unavailable") expect(decision.error).toBe("connection refused by postgres");
      else expect(decision.error).toBeUndefined();
      expect(source.reads).toBe(reads);
    },
  );

  it("fails live namespaces closed on a read failure that is not an Error", async () => {
    const source: StrategyConfigSource = { get: () => Promise.reject("socket hang up") };
    const decision = await router([paperTarget(), zerodhaTarget()], source).route(STRATEGY);
    expect(decision).toEqual({
      strategyId: STRATEGY,
      namespaces: ["paper"],
      strategy: "unavailable",
      error: "socket hang up",
    });
  });

  it("logs a read failure with the strategy id", async () => {
    const logger = new RecordingLogger();
    const source = sourceFor("read fails");
    await router([paperTarget(), zerodhaTarget()], source, { logger }).route(STRATEGY);
    const errors = logger.records.filter((record) => record.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.context).toMatchObject({ strategy_id: STRATEGY });
  });

  it("answers getTargetNamespaces with the decision's namespaces", async () => {
    const source = sourceFor("active, zerodha on");
    const namespaces = await router([paperTarget(), zerodhaTarget()], source).getTargetNamespaces(
      STRATEGY,
    );
    expect(namespaces).toEqual(["paper", "zerodha"]);
  });

  it("routes a new live broker by its plugin's own rule, with no router change", async () => {
    const upstox: RouteTarget = {
      namespace: "upstox",
      live: true,
      enabled: true,
      enabledFor: (strategy) => strategy.parameters?.upstox_enabled === true,
    };
    const source = new InMemoryStrategySource([
      { id: "upstox_only", parameters: { upstox_enabled: true } },
      { id: "zerodha_only", zerodha_trading_enabled: true, parameters: { upstox_enabled: false } },
      { id: "both", zerodha_trading_enabled: true, parameters: { upstox_enabled: true } },
      { id: "inactive_upstox", is_active: false, parameters: { upstox_enabled: true } },
      { id: "no_parameters" },
    ]);
    const routes = router([paperTarget(), zerodhaTarget(), upstox], source);
    expect(await routes.getTargetNamespaces("upstox_only")).toEqual(["paper", "upstox"]);
    expect(await routes.getTargetNamespaces("zerodha_only")).toEqual(["paper", "zerodha"]);
    expect(await routes.getTargetNamespaces("both")).toEqual(["paper", "zerodha", "upstox"]);
    expect(await routes.getTargetNamespaces("inactive_upstox")).toEqual(["paper"]);
    expect(await routes.getTargetNamespaces("no_parameters")).toEqual(["paper"]);
  });

  it("routes any live namespace listed in the strategy's execution targets, legacy zerodha flag kept", async () => {
    const upstox: RouteTarget = {
      namespace: "upstox",
      live: true,
      enabled: true,
      enabledFor: () => false,
    };
    const disabledKite: RouteTarget = { ...zerodhaTarget(false) };
    const source = new InMemoryStrategySource([
      { id: "upstox_listed", execution_targets: ["upstox"] },
      { id: "both_listed", execution_targets: ["zerodha", "upstox"] },
      { id: "legacy_and_listed", zerodha_trading_enabled: true, execution_targets: ["upstox"] },
      { id: "listed_inactive", is_active: false, execution_targets: ["upstox"] },
      { id: "listed_unknown", execution_targets: ["nobody"] },
    ]);
    const routes = router([paperTarget(), zerodhaTarget(), upstox], source);
    expect(await routes.getTargetNamespaces("upstox_listed")).toEqual(["paper", "upstox"]);
    expect(await routes.getTargetNamespaces("both_listed")).toEqual(["paper", "zerodha", "upstox"]);
    expect(await routes.getTargetNamespaces("legacy_and_listed")).toEqual([
      "paper",
      "zerodha",
      "upstox",
    ]);
    expect(await routes.getTargetNamespaces("listed_inactive")).toEqual(["paper"]);
    expect(await routes.getTargetNamespaces("listed_unknown")).toEqual(["paper"]);
    // Disabled globally: a listing does not turn it on.
    const off = router([paperTarget(), disabledKite], source);
    expect(await off.getTargetNamespaces("both_listed")).toEqual(["paper"]);
  });

  it("routes to a live broker alone when it is the only target", async () => {
    const source = sourceFor("active, zerodha on");
    expect(await router([zerodhaTarget()], source).getTargetNamespaces(STRATEGY)).toEqual([
      "zerodha",
    ]);
  });
});

describe("ExecutionRouter configuration cache", () => {
  it("does not see a configuration change before the ttl expires, and does after", async () => {
    const clock = new FakeClock(1_000_000);
    const source = sourceFor("active, zerodha off");
    const routes = router([paperTarget(), zerodhaTarget()], source, { clock, cacheTtlMs: 5000 });

    expect(await routes.getTargetNamespaces(STRATEGY)).toEqual(["paper"]);
    source.put({ id: STRATEGY, zerodha_trading_enabled: true });

    clock.advance(4999);
    expect(await routes.getTargetNamespaces(STRATEGY)).toEqual(["paper"]);
    expect(source.reads).toBe(1);

    clock.advance(1);
    expect(await routes.getTargetNamespaces(STRATEGY)).toEqual(["paper", "zerodha"]);
    expect(source.reads).toBe(2);

    // Re-cached from the second read.
    clock.advance(4999);
    expect(await routes.getTargetNamespaces(STRATEGY)).toEqual(["paper", "zerodha"]);
    expect(source.reads).toBe(2);
  });

  it("caches a strategy that was not found, like any other answer", async () => {
    const clock = new FakeClock(0);
    const source = sourceFor("not found");
    const routes = router([paperTarget(), zerodhaTarget()], source, { clock });
    expect((await routes.route(STRATEGY)).strategy).toBe("not_found");
    source.put({ id: STRATEGY, zerodha_trading_enabled: true });
    expect((await routes.route(STRATEGY)).strategy).toBe("not_found");
    clock.advance(5000);
    expect(await routes.route(STRATEGY)).toMatchObject({
      strategy: "found",
      namespaces: ["paper", "zerodha"],
    });
  });

  it("caches each strategy separately", async () => {
    const source = new InMemoryStrategySource([
      { id: "a", zerodha_trading_enabled: true },
      { id: "b", zerodha_trading_enabled: false },
    ]);
    const routes = router([paperTarget(), zerodhaTarget()], source);
    expect(await routes.getTargetNamespaces("a")).toEqual(["paper", "zerodha"]);
    expect(await routes.getTargetNamespaces("b")).toEqual(["paper"]);
    expect(await routes.getTargetNamespaces("a")).toEqual(["paper", "zerodha"]);
    expect(source.reads).toBe(2);
  });

  it("shares one read among concurrent routes of one strategy", async () => {
    const source = new GatedSource(sourceFor("active, zerodha on"));
    const routes = router([paperTarget(), zerodhaTarget()], source);
    const decisions = Array.from({ length: 10 }, () => routes.route(STRATEGY));
    await Promise.resolve();
    expect(source.reads).toBe(1);
    source.release();
    for (const decision of await Promise.all(decisions)) {
      expect(decision.namespaces).toEqual(["paper", "zerodha"]);
    }
    expect(source.reads).toBe(1);
    // And the shared answer is cached.
    await routes.route(STRATEGY);
    expect(source.reads).toBe(1);
  });

  it("reads concurrently for different strategies", async () => {
    const inner = new InMemoryStrategySource([{ id: "a" }, { id: "b" }]);
    const source = new GatedSource(inner);
    const routes = router([paperTarget(), zerodhaTarget()], source);
    const pending = Promise.all([routes.route("a"), routes.route("b"), routes.route("a")]);
    await Promise.resolve();
    expect(source.reads).toBe(2);
    source.release();
    await pending;
  });

  it("fails every concurrent caller closed on one failed read", async () => {
    const inner = sourceFor("read fails");
    const source = new GatedSource(inner);
    const routes = router([paperTarget(), zerodhaTarget()], source);
    const decisions = Promise.all(Array.from({ length: 5 }, () => routes.route(STRATEGY)));
    await Promise.resolve();
    source.release();
    for (const decision of await decisions) {
      expect(decision).toMatchObject({ namespaces: ["paper"], strategy: "unavailable" });
    }
    expect(source.reads).toBe(1);
  });

  it("does not cache a failure: the next route reads again", async () => {
    const source = sourceFor("read fails");
    const routes = router([paperTarget(), zerodhaTarget()], source);
    expect((await routes.route(STRATEGY)).strategy).toBe("unavailable");
    expect((await routes.route(STRATEGY)).strategy).toBe("unavailable");
    expect(source.reads).toBe(2);

    source.failure = null;
    expect(await routes.route(STRATEGY)).toMatchObject({
      strategy: "found",
      namespaces: ["paper", "zerodha"],
    });
    expect(source.reads).toBe(3);
  });

  it("keeps serving a cached answer while the source is failing, until the ttl expires", async () => {
    const clock = new FakeClock(0);
    const source = sourceFor("active, zerodha on");
    const routes = router([paperTarget(), zerodhaTarget()], source, { clock });
    await routes.route(STRATEGY);
    source.failure = new Error("database down");
    expect((await routes.route(STRATEGY)).namespaces).toEqual(["paper", "zerodha"]);
    clock.advance(5000);
    expect(await routes.route(STRATEGY)).toMatchObject({
      namespaces: ["paper"],
      strategy: "unavailable",
      error: "database down",
    });
  });

  it("never reads the source when no live target is enabled", async () => {
    const source = sourceFor("read fails");
    const routes = router([paperTarget(), zerodhaTarget(false)], source);
    for (let i = 0; i < 3; i += 1) {
      expect(await routes.route(STRATEGY)).toEqual({
        strategyId: STRATEGY,
        namespaces: ["paper"],
        strategy: "not_needed",
      });
    }
    expect(source.reads).toBe(0);
  });

  it("reads again after invalidate, for one strategy or all", async () => {
    const source = new InMemoryStrategySource([{ id: "a" }, { id: "b" }]);
    const routes = router([paperTarget(), zerodhaTarget()], source);
    await routes.route("a");
    await routes.route("b");
    expect(source.reads).toBe(2);

    source.put({ id: "a", zerodha_trading_enabled: true });
    routes.invalidate("a");
    expect(await routes.getTargetNamespaces("a")).toEqual(["paper", "zerodha"]);
    await routes.route("b");
    expect(source.reads).toBe(3);

    routes.invalidate();
    await routes.route("a");
    await routes.route("b");
    expect(source.reads).toBe(5);
  });

  it("reads on every route with a ttl of 0", async () => {
    const source = sourceFor("active, zerodha on");
    const routes = router([paperTarget(), zerodhaTarget()], source, { cacheTtlMs: 0 });
    await routes.route(STRATEGY);
    await routes.route(STRATEGY);
    expect(source.reads).toBe(2);
  });

  it("does not let one decision's namespaces leak into the next", async () => {
    const source = new InMemoryStrategySource([
      { id: "a", zerodha_trading_enabled: true },
      { id: "b" },
    ]);
    const routes = router([paperTarget(), zerodhaTarget()], source);
    const first = await routes.getTargetNamespaces("a");
    first.push("mutated");
    expect(await routes.getTargetNamespaces("b")).toEqual(["paper"]);
    expect(await routes.getTargetNamespaces("a")).toEqual(["paper", "zerodha"]);
  });
});
