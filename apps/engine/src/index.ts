export { Engine, type EngineOptions, type RunningEngine } from "./app/engine.js";
export { type AnyTraderPlugin, SHIPPED_PLUGINS } from "./app/plugins.js";
export { type DatabaseHandle, openDatabase } from "./db/database.js";
export { createLogger } from "./observability/logger.js";
