import { type Clock, systemClock } from "../ports/clock.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { StrategyConfig, StrategyConfigSource } from "../ports/strategy-config-source.js";

/** One namespace the router may send signals to. */
export interface RouteTarget {
  namespace: string;
  /** A live namespace trades real money: it needs the strategy's consent and fails closed. */
  live: boolean;
  /** Enabled globally (by configuration). */
  enabled: boolean;
  /** The live namespace's rule: whether this strategy trades on it (comes with the plugin). */
  enabledFor(strategy: StrategyConfig): boolean;
}

/**
 * How the router came by the strategy's configuration: `found`, `not_found` (no such strategy:
 * no live namespace), `unavailable` (the source failed: live namespaces failed closed), or
 * `not_needed` (no live namespace is enabled, so it was not read).
 */
export type StrategyLookup = "found" | "not_found" | "unavailable" | "not_needed";

/** Where a signal goes, and why live namespaces were left out. */
export interface RoutingDecision {
  strategyId: string;
  namespaces: string[];
  strategy: StrategyLookup;
  /** Set when the configuration could not be read: live namespaces failed closed. */
  error?: string;
}

/** The namespaces an `ExecutionRouter` chooses from, and where it reads strategies. */
export interface ExecutionRouterOptions {
  targets: readonly RouteTarget[];
  strategies: StrategyConfigSource;
  /** How long a strategy's configuration is trusted before it is read again. */
  cacheTtlMs: number;
  clock?: Clock;
  logger?: Logger;
}

interface CacheEntry {
  config: StrategyConfig | null;
  expiresAt: number;
}

/**
 * Decides which namespaces a signal is executed on. Paper namespaces take every signal when
 * enabled; a live namespace takes a signal only when it is enabled globally, the strategy is
 * active, and the strategy lists it in `execution_targets` or the namespace's own rule accepts
 * the strategy (Zerodha's legacy `zerodha_trading_enabled`). No live order on unknown configuration:
 * when the configuration cannot be read, live namespaces are left out and paper goes on.
 */
export class ExecutionRouter {
  readonly #paper: readonly RouteTarget[];
  readonly #live: readonly RouteTarget[];
  readonly #strategies: StrategyConfigSource;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #cache = new Map<string, CacheEntry>();
  /** Concurrent misses for one strategy share one read. */
  readonly #pending = new Map<string, Promise<StrategyConfig | null>>();

  constructor(options: ExecutionRouterOptions) {
    const enabled = options.targets.filter((target) => target.enabled);
    this.#paper = enabled.filter((target) => !target.live);
    this.#live = enabled.filter((target) => target.live);
    this.#strategies = options.strategies;
    this.#ttlMs = options.cacheTtlMs;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The namespaces a strategy's signal is executed on. */
  async getTargetNamespaces(strategyId: string): Promise<string[]> {
    return (await this.route(strategyId)).namespaces;
  }

  /** The routing decision with its reasons, for the journal and the logs. */
  async route(strategyId: string): Promise<RoutingDecision> {
    const namespaces = this.#paper.map((target) => target.namespace);
    if (this.#live.length === 0) return { strategyId, namespaces, strategy: "not_needed" };

    let config: StrategyConfig | null;
    try {
      config = await this.#config(strategyId);
    } catch (cause) {
      const error = cause instanceof Error ? cause.message : String(cause);
      this.#logger.error(
        { strategy_id: strategyId, err: cause },
        "strategy configuration unavailable: live namespaces fail closed",
      );
      return { strategyId, namespaces, strategy: "unavailable", error };
    }
    if (config === null) return { strategyId, namespaces, strategy: "not_found" };
    if (config.is_active) {
      for (const target of this.#live) {
        const listed = config.execution_targets?.includes(target.namespace) === true;
        if (listed || target.enabledFor(config)) namespaces.push(target.namespace);
      }
    }
    return { strategyId, namespaces, strategy: "found" };
  }

  /** Forgets cached configuration (one strategy, or all). */
  invalidate(strategyId?: string): void {
    if (strategyId === undefined) this.#cache.clear();
    else this.#cache.delete(strategyId);
  }

  async #config(strategyId: string): Promise<StrategyConfig | null> {
    const cached = this.#cache.get(strategyId);
    if (cached && cached.expiresAt > this.#clock.now()) return cached.config;

    let pending = this.#pending.get(strategyId);
    if (!pending) {
      pending = this.#strategies.get(strategyId).finally(() => this.#pending.delete(strategyId));
      this.#pending.set(strategyId, pending);
    }
    const config = await pending;
    // Failures are not cached: the next signal tries the database again.
    this.#cache.set(strategyId, { config, expiresAt: this.#clock.now() + this.#ttlMs });
    return config;
  }
}
