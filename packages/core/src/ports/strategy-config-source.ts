import { z } from "zod";

/**
 * A row of the platform's shared `strategy_configurations` table, as the router sees it.
 * Unknown columns are tolerated so the platform can add some without breaking the engine.
 */
export const StrategyConfigSchema = z.object({
  id: z.string().min(1),
  strategy_type: z.string().nullable().default(null),
  instruments: z.array(z.number().int()).nullable().default(null),
  parameters: z.record(z.string(), z.unknown()).nullable().default(null),
  is_active: z.boolean(),
  zerodha_trading_enabled: z.boolean(),
  /**
   * The live namespaces this strategy is enabled for in the engine's own
   * `strategy_execution_targets` table (absent: none). Any live namespace is a target through
   * it, so a new broker needs no column of the shared table.
   */
  execution_targets: z.array(z.string().min(1)).optional(),
});
/** A parsed `strategy_configurations` row (`StrategyConfigSchema`). */
export type StrategyConfig = z.infer<typeof StrategyConfigSchema>;

/**
 * Where strategy configuration comes from (the app implements it on PostgreSQL).
 * Resolves `null` for an unknown strategy; rejects when the source cannot be read.
 */
export interface StrategyConfigSource {
  /**
   * The configuration of `strategyId`, or null when no such strategy exists.
   * @throws when the source cannot be read (the router then fails live namespaces closed)
   */
  get(strategyId: string): Promise<StrategyConfig | null>;
}
