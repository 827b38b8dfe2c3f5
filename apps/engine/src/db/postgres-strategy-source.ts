import type { StrategyConfig, StrategyConfigSource } from "@engine/core";
import { eq } from "drizzle-orm";
import type { EngineDatabase } from "./database.js";
import { strategyConfigurations } from "./schema.js";

/** The router's configuration port on the platform's `strategy_configurations` table. */
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
    return {
      id: row.id,
      strategy_type: row.strategyType,
      instruments: row.instruments,
      parameters: row.parameters,
      // The columns have defaults but allow NULL: a NULL flag is not consent to trade live.
      is_active: row.isActive === true,
      zerodha_trading_enabled: row.zerodhaTradingEnabled === true,
    };
  }
}
