import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import {
  DuplicateNamespaceError,
  EngineError,
  RegistryNotInitializedError,
  TraderUnavailableError,
  UnknownNamespaceError,
} from "../errors.js";
import { failedResult } from "./execution-result.js";
import { SUBMIT_ONLY, type Trader, type TraderHealth } from "./trader.js";
import { TraderRegistry } from "./trader-registry.js";

const TIMEOUT_MS = 50;

interface FakeTrader extends Trader {
  initCalls: number;
  shutdownCalls: number;
  currentHealth: TraderHealth | undefined;
}

/** A trader whose lifecycle steps do what the test says. */
function fakeTrader(
  executionMode: string,
  options: {
    initialize?: () => Promise<boolean>;
    shutdown?: () => Promise<void>;
    health?: TraderHealth;
  } = {},
): FakeTrader {
  const trader: FakeTrader = {
    executionMode,
    capabilities: SUBMIT_ONLY,
    initCalls: 0,
    shutdownCalls: 0,
    currentHealth: options.health,
    async initialize() {
      trader.initCalls += 1;
      return options.initialize ? options.initialize() : true;
    },
    async shutdown() {
      trader.shutdownCalls += 1;
      if (options.shutdown) await options.shutdown();
    },
    async executeOrder(signal) {
      return failedResult(signal, {
        namespace: executionMode,
        code: "BROKER_UNAVAILABLE",
        message: "fake",
        timestamp: "2026-11-23T04:00:00Z",
      });
    },
    health: () => trader.currentHealth ?? { status: "ready" },
  };
  return trader;
}

const never = () => new Promise<never>(() => {});

function mixedRegistry() {
  const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
  const traders = {
    good: fakeTrader("paper"),
    refuses: fakeTrader("refuses", { initialize: async () => false }),
    throws: fakeTrader("throws", {
      initialize: async () => {
        throw new Error("access token expired");
      },
    }),
    hangs: fakeTrader("hangs", { initialize: never }),
    alsoGood: fakeTrader("zerodha"),
  };
  for (const trader of Object.values(traders)) registry.register(trader);
  return { registry, traders };
}

function reasonOf(health: TraderHealth | undefined): string {
  return health?.status === "unavailable" ? health.reason : "(ready)";
}

describe("TraderRegistry.initialize", () => {
  it("makes the good traders ready and the others unavailable with the cause", async () => {
    const { registry, traders } = mixedRegistry();
    const health = await registry.initialize();

    expect(health.paper).toEqual({ status: "ready" });
    expect(health.zerodha).toEqual({ status: "ready" });
    expect(health.refuses?.status).toBe("unavailable");
    expect(reasonOf(health.refuses)).toContain("returned false");
    expect(health.throws?.status).toBe("unavailable");
    expect(reasonOf(health.throws)).toContain("access token expired");
    expect(health.hangs?.status).toBe("unavailable");
    expect(reasonOf(health.hangs)).toMatch(/did not initialise within 50 ms/);

    for (const trader of Object.values(traders)) expect(trader.initCalls).toBe(1);
    expect(registry.health()).toEqual(health);
  });

  it("is not held back by a hanging trader beyond the timeout", async () => {
    const { registry } = mixedRegistry();
    const started = performance.now();
    await registry.initialize();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 500);
  });

  it("initialises traders concurrently, not one after another", async () => {
    const registry = new TraderRegistry({ timeoutMs: 1000 });
    const slow = () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 40));
    for (const namespace of ["a", "b", "c", "d", "e"]) {
      registry.register(fakeTrader(namespace, { initialize: slow }));
    }
    const started = performance.now();
    const health = await registry.initialize();
    expect(performance.now() - started).toBeLessThan(40 * 5);
    expect(Object.values(health)).toEqual(Array(5).fill({ status: "ready" }));
  });

  it("reports a trader that throws synchronously as unavailable", async () => {
    const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
    const trader = fakeTrader("sync");
    trader.initialize = () => {
      throw new Error("no credentials configured");
    };
    registry.register(trader);
    const health = await registry.initialize();
    expect(reasonOf(health.sync)).toContain("no credentials configured");
  });

  it("resolves with an empty health record when nothing is registered", async () => {
    await expect(new TraderRegistry().initialize()).resolves.toEqual({});
  });
});

describe("TraderRegistry.get", () => {
  it("throws RegistryNotInitializedError before initialize", () => {
    const registry = new TraderRegistry();
    registry.register(fakeTrader("paper"));
    expect(() => registry.get("paper")).toThrow(RegistryNotInitializedError);
    expect(registry.health()).toEqual({
      paper: { status: "unavailable", reason: "not initialised" },
    });
  });

  it("returns the registered trader once it is ready", async () => {
    const { registry, traders } = mixedRegistry();
    await registry.initialize();
    expect(registry.get("paper")).toBe(traders.good);
    expect(registry.get("zerodha")).toBe(traders.alsoGood);
  });

  it("throws UnknownNamespaceError for a namespace nobody registered", async () => {
    const { registry } = mixedRegistry();
    await registry.initialize();
    expect(() => registry.get("upstox")).toThrow(UnknownNamespaceError);
    expect(() => registry.get("upstox")).toThrow(/upstox/);
  });

  it.each([
    ["refuses", "returned false"],
    ["throws", "access token expired"],
    ["hangs", "did not initialise"],
  ])("throws TraderUnavailableError for %s, with the reason", async (namespace, reason) => {
    const { registry } = mixedRegistry();
    await registry.initialize();
    let thrown: unknown;
    try {
      registry.get(namespace);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TraderUnavailableError);
    expect(thrown).toBeInstanceOf(EngineError);
    const error = thrown as TraderUnavailableError;
    expect(error.code).toBe("TRADER_UNAVAILABLE");
    expect(error.message).toContain(namespace);
    expect(error.message).toContain(reason);
    expect(error.context).toMatchObject({ namespace });
  });

  it("throws TraderUnavailableError when the trader's own health reports it down, and recovers", async () => {
    const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
    const trader = fakeTrader("zerodha", { health: { status: "ready" } });
    registry.register(trader);
    await registry.initialize();
    expect(registry.get("zerodha")).toBe(trader);

    trader.currentHealth = { status: "unavailable", reason: "session expired at 06:00 IST" };
    expect(() => registry.get("zerodha")).toThrow(TraderUnavailableError);
    expect(() => registry.get("zerodha")).toThrow(/session expired at 06:00 IST/);
    expect(registry.health().zerodha).toEqual(trader.currentHealth);

    trader.currentHealth = { status: "ready" };
    expect(registry.get("zerodha")).toBe(trader);
  });

  it("keeps a trader that failed to initialise unavailable even if its health says ready", async () => {
    const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
    registry.register(
      fakeTrader("zerodha", { initialize: async () => false, health: { status: "ready" } }),
    );
    await registry.initialize();
    expect(() => registry.get("zerodha")).toThrow(TraderUnavailableError);
  });
});

describe("TraderRegistry.register", () => {
  it("throws DuplicateNamespaceError for a second trader of one namespace", () => {
    const registry = new TraderRegistry();
    const first = fakeTrader("paper");
    registry.register(first);
    expect(() => registry.register(fakeTrader("paper"))).toThrow(DuplicateNamespaceError);
    expect(() => registry.register(fakeTrader("paper"))).toThrow(/paper/);
    expect(registry.namespaces()).toEqual(["paper"]);
  });

  it("lists every registered namespace, ready or not", async () => {
    const { registry } = mixedRegistry();
    expect(registry.namespaces()).toEqual(["paper", "refuses", "throws", "hangs", "zerodha"]);
    await registry.initialize();
    expect(registry.namespaces()).toHaveLength(5);
  });
});

describe("TraderRegistry.shutdown", () => {
  it("shuts every trader down even when one throws, and resolves", async () => {
    const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
    const traders = [
      fakeTrader("a"),
      fakeTrader("b", {
        shutdown: async () => {
          throw new Error("socket already closed");
        },
      }),
      fakeTrader("c"),
    ];
    for (const trader of traders) registry.register(trader);
    await registry.initialize();
    await expect(registry.shutdown()).resolves.toBeUndefined();
    expect(traders.map((trader) => trader.shutdownCalls)).toEqual([1, 1, 1]);
  });

  it("does not wait for a trader that hangs on shutdown beyond the timeout", async () => {
    const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
    const traders = [fakeTrader("a", { shutdown: never }), fakeTrader("b")];
    for (const trader of traders) registry.register(trader);
    await registry.initialize();
    const started = performance.now();
    await registry.shutdown();
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 500);
    expect(traders.map((trader) => trader.shutdownCalls)).toEqual([1, 1]);
  });

  it("makes get() refuse again after shutdown", async () => {
    const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
    registry.register(fakeTrader("paper"));
    await registry.initialize();
    await registry.shutdown();
    expect(() => registry.get("paper")).toThrow(RegistryNotInitializedError);
  });

  it("shuts down traders that failed to initialise too", async () => {
    const { registry, traders } = mixedRegistry();
    await registry.initialize();
    await registry.shutdown();
    for (const trader of Object.values(traders)) expect(trader.shutdownCalls).toBe(1);
  });
});

describe("TraderRegistry.retryFailed", () => {
  it("makes a trader ready once its initialise succeeds, leaving the ready ones alone", async () => {
    let tokenRotated = false;
    const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
    const good = fakeTrader("paper");
    const live = fakeTrader("zerodha", { initialize: async () => tokenRotated });
    registry.register(good);
    registry.register(live);
    await registry.initialize();
    expect(() => registry.get("zerodha")).toThrow(TraderUnavailableError);

    expect(await registry.retryFailed()).toEqual([]);
    tokenRotated = true;
    expect(await registry.retryFailed()).toEqual(["zerodha"]);
    expect(registry.get("zerodha")).toBe(live);
    expect(good.initCalls).toBe(1);
    expect(live.initCalls).toBe(3);
  });

  it("does nothing before initialize", async () => {
    const registry = new TraderRegistry({ timeoutMs: TIMEOUT_MS });
    const trader = fakeTrader("paper", { initialize: async () => false });
    registry.register(trader);
    expect(await registry.retryFailed()).toEqual([]);
    expect(trader.initCalls).toBe(0);
  });
});
