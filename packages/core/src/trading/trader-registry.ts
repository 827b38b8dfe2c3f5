import {
  DuplicateNamespaceError,
  RegistryNotInitializedError,
  TraderUnavailableError,
  UnknownNamespaceError,
} from "../errors.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { Trader, TraderHealth } from "./trader.js";

/** How a `TraderRegistry` waits on its traders, and where it logs. */
export interface TraderRegistryOptions {
  /** How long one trader may take to initialise or shut down before it is given up on. */
  timeoutMs?: number;
  logger?: Logger;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Holds one trader per namespace (the design's TraderFactory). Traders are built by their plugins
 * and registered by the app; the registry initialises them concurrently, each with a timeout, so
 * a broker that fails or hangs is reported unavailable without holding back the others.
 */
export class TraderRegistry {
  readonly #traders = new Map<string, Trader>();
  readonly #initFailures = new Map<string, string>();
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  #initialized = false;

  constructor(options: TraderRegistryOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Adds a trader under its namespace (`executionMode`), before `initialize`.
   * @throws DuplicateNamespaceError when the namespace already has a trader
   */
  register(trader: Trader): void {
    if (this.#traders.has(trader.executionMode)) {
      throw new DuplicateNamespaceError(trader.executionMode);
    }
    this.#traders.set(trader.executionMode, trader);
  }

  /** Namespaces of every registered trader, ready or not. */
  namespaces(): string[] {
    return [...this.#traders.keys()];
  }

  /** Initialises every trader concurrently. Never rejects: failures become health. */
  async initialize(): Promise<Record<string, TraderHealth>> {
    this.#initFailures.clear();
    await this.#initializeEach([...this.#traders.keys()]);
    this.#initialized = true;
    return this.health();
  }

  /**
   * Tries again to initialise the traders that failed to (a broker session that was refused
   * until its token was rotated). Resolves with the namespaces that became ready.
   */
  async retryFailed(): Promise<string[]> {
    if (!this.#initialized) return [];
    const failed = [...this.#initFailures.keys()];
    await this.#initializeEach(failed);
    return failed.filter((namespace) => !this.#initFailures.has(namespace));
  }

  async #initializeEach(namespaces: string[]): Promise<void> {
    await Promise.all(
      namespaces.map(async (namespace) => {
        const trader = this.#traders.get(namespace);
        if (!trader) return;
        const failure = await this.#attempt(namespace, "initialise", () => trader.initialize());
        if (failure !== undefined) {
          this.#initFailures.set(namespace, failure);
          this.#logger.error({ namespace, reason: failure }, "trader unavailable");
        } else {
          this.#initFailures.delete(namespace);
          this.#logger.info({ namespace }, "trader ready");
        }
      }),
    );
  }

  /**
   * The trader of a namespace, ready to execute.
   * @throws RegistryNotInitializedError before `initialize()`
   * @throws UnknownNamespaceError for a namespace nobody registered
   * @throws TraderUnavailableError when the trader failed to initialise or reports itself down
   */
  get(namespace: string): Trader {
    if (!this.#initialized) throw new RegistryNotInitializedError();
    const trader = this.#traders.get(namespace);
    if (!trader) throw new UnknownNamespaceError(namespace);
    const health = this.#healthOf(namespace, trader);
    if (health.status === "unavailable") throw new TraderUnavailableError(namespace, health.reason);
    return trader;
  }

  /**
   * The trader registered under a namespace, ready or not (its declared capabilities, say), or
   * undefined. To execute, use `get`, which checks that it is ready.
   */
  lookup(namespace: string): Trader | undefined {
    return this.#traders.get(namespace);
  }

  /** Health of every namespace: ready, or unavailable with the reason. */
  health(): Record<string, TraderHealth> {
    const snapshot: Record<string, TraderHealth> = {};
    for (const [namespace, trader] of this.#traders) {
      snapshot[namespace] = this.#healthOf(namespace, trader);
    }
    return snapshot;
  }

  /** Shuts every trader down concurrently, even when some throw or hang; never rejects. */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.#traders].map(async ([namespace, trader]) => {
        const failure = await this.#attempt(namespace, "shut down", async () => {
          await trader.shutdown();
          return true;
        });
        if (failure !== undefined)
          this.#logger.error({ namespace, reason: failure }, "shutdown failed");
      }),
    );
    this.#initialized = false;
  }

  #healthOf(namespace: string, trader: Trader): TraderHealth {
    if (!this.#initialized) return { status: "unavailable", reason: "not initialised" };
    const failure = this.#initFailures.get(namespace);
    if (failure !== undefined) return { status: "unavailable", reason: failure };
    return trader.health();
  }

  /** Runs one lifecycle step with the timeout; resolves the failure reason, or undefined. */
  async #attempt(
    namespace: string,
    step: string,
    run: () => Promise<boolean>,
  ): Promise<string | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`did not ${step} within ${this.#timeoutMs} ms`),
        this.#timeoutMs,
      );
    });
    const attempt = (async () => {
      try {
        return (await run()) ? undefined : `${step} returned false`;
      } catch (error) {
        this.#logger.error({ namespace, err: error }, `trader failed to ${step}`);
        return `${step} threw: ${error instanceof Error ? error.message : String(error)}`;
      }
    })();
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
