import type { StrategyConfig, StrategyConfigSource } from "../ports/strategy-config-source.js";

/** A strategy source held in memory, with a switch to make reads fail. */
export class InMemoryStrategySource implements StrategyConfigSource {
  readonly #configs = new Map<string, StrategyConfig>();
  /** When set, every read rejects with this error. */
  failure: Error | null = null;
  reads = 0;

  constructor(configs: Iterable<Partial<StrategyConfig> & { id: string }> = []) {
    for (const config of configs) this.put(config);
  }

  /** Adds or replaces a strategy; unset fields take an active strategy's defaults. */
  put(config: Partial<StrategyConfig> & { id: string }): void {
    this.#configs.set(config.id, {
      strategy_type: null,
      instruments: null,
      parameters: null,
      is_active: true,
      zerodha_trading_enabled: false,
      ...config,
    });
  }

  async get(strategyId: string): Promise<StrategyConfig | null> {
    this.reads += 1;
    if (this.failure) throw this.failure;
    return this.#configs.get(strategyId) ?? null;
  }
}
