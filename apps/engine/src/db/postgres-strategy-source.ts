import type { StrategyConfig, StrategyConfigSource } from "@engine/core";
import { and, eq } from "drizzle-orm";
import type { EngineDatabase } from "./database.js";
import { strategyConfigurations, strategyExecutionTargets } from "./schema.js";

/**
 * The router's configuration port: the platform's `strategy_configurations` row, with the live
 * namespaces the engine's `strategy_execution_targets` enables for the strategy.
 */
export class PostgresStrategySource implements StrategyConfigSource {
  readonly #db: EngineDatabase;

  constructor(db: EngineDatabase) {
    this.#db = db;
  }

  async get(strategyId: string): Promise<StrategyConfig | null> {
    const [row] = await this.#db
      .select()
      .from(strategyConfigurations)
      .where(eq(strategyConfigurations.id, strategyId))
      .limit(1);
    if (!row) return null;
    const targets = await this.#db
      .select({ namespace: strategyExecutionTargets.namespace })
      .from(strategyExecutionTargets)
      .where(
        and(
          eq(strategyExecutionTargets.strategyId, strategyId),
          eq(strategyExecutionTargets.enabled, true),
        ),
      );
    return {
      id: row.id,
      strategy_type: row.strategyType,
      instruments: row.instruments,
      parameters: row.parameters,
      // The columns have defaults but allow NULL: a NULL flag is not consent to trade live.
      is_active: row.isActive === true,
      zerodha_trading_enabled: row.zerodhaTradingEnabled === true,
      execution_targets: targets.map((target) => target.namespace),
    };
  }
}
