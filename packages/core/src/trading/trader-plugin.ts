import type { z } from "zod";
import type { MarketQuote } from "../events/market-tick-decoder.js";
import type { Clock } from "../ports/clock.js";
import type { InstrumentRegistry } from "../ports/instrument-registry.js";
import type { Logger } from "../ports/logger.js";
import type { StrategyConfig } from "../ports/strategy-config-source.js";
import type { Trader } from "./trader.js";

/** Every plugin's settings say whether the namespace is enabled globally. */
export interface PluginSettings {
  enabled: boolean;
}

/**
 * SQL access a trader may use for state of its own (a broker's instrument list): parameterised
 * statements on the engine's PostgreSQL. Traders create and own their tables, prefixed with
 * their namespace.
 */
export interface SqlPort {
  /**
   * Runs one statement with `$1`-style parameters and answers its rows.
   * @throws the driver's error when the database refuses the statement or cannot be reached
   */
  query<T = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: T[] }>;
}

/**
 * The engine's market data, for traders that need prices after a submission (a simulator's
 * resting LIMIT orders). Fed by `market.ticks`.
 */
export interface MarketDataPort {
  /** The latest quote of an instrument not older than the engine's maximum price age, or null. */
  quote(instrumentToken: number): MarketQuote | null;
  /**
   * Calls `listener` with every quote as it is read (on the tick path: keep it cheap). Returns the
   * function that unsubscribes.
   */
  subscribe(listener: (quote: MarketQuote) => void): () => void;
}

/** What the app hands a plugin to build its trader. */
export interface TraderContext<S extends PluginSettings = PluginSettings> {
  /** The namespace the trader executes for (`executionMode`). */
  namespace: string;
  settings: S;
  logger: Logger;
  clock: Clock;
  /** The engine's database, for traders that keep state of their own. */
  sql?: SqlPort;
  /** The engine's market data. */
  marketData?: MarketDataPort;
  /** The platform's instruments, for traders that map the signals' tokens to their broker's. */
  instruments?: InstrumentRegistry;
  /**
   * Tells the engine that orders of this namespace may have changed (a verified postback, a
   * simulated fill): it asks for status reports at once instead of at the next poll.
   */
  ordersChanged?(): void;
}

/**
 * What a broker package exports: everything the engine needs to know about the broker, so adding
 * one is adding a package, never editing the engine.
 */
export interface TraderPlugin<S extends PluginSettings = PluginSettings> {
  /** The namespace the trader executes for, and the `{ns}` of its output topics. */
  readonly namespace: string;
  /** Whether the trader places real orders (live namespaces fail closed and never run in shadow). */
  readonly live: boolean;
  /**
   * Parses the plugin's configuration from environment variables. Issue paths are the variable
   * names, so a bad value stops start-up with a message naming it.
   */
  readonly settingsSchema: z.ZodType<S>;
  /** Names of variables that hold secrets: never printed. */
  readonly secretVariables?: readonly string[];
  /** The routing rule of a live namespace: whether this strategy trades on it. */
  enabledFor(strategy: StrategyConfig): boolean;
  /** Builds the namespace's trader from its parsed settings and the engine's ports; does no I/O. */
  create(context: TraderContext<S>): Trader;
}
