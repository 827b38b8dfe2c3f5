import {
  type ControlRequest,
  NO_PRE_TRADE_LIMITS,
  type PreTradeLimits,
  silentLogger,
  systemClock,
} from "@engine/core";
import { ControlBoard } from "../controls/control-board.js";
import { InMemoryControlLog } from "../controls/control-log.js";
import { OrderUsage } from "../controls/order-usage.js";
import { TradingGate } from "../controls/trading-gate.js";
import type { DatabaseHandle } from "../db/database.js";
import { PositionLedger } from "../journal/position-ledger.js";
import { EngineMetrics } from "../observability/metrics.js";
import { InMemoryTransport } from "../transport/in-memory-transport.js";
import { fixedQuote } from "./service-testbed.js";

/** The trading controls as the engine builds them, on the in-process bus and `database`. */
export interface ControlsUnderTest {
  bus: InMemoryTransport;
  board: ControlBoard;
  gate: TradingGate;
  positions: PositionLedger;
  metrics: EngineMetrics;
  /** Writes a change as the operator `ops` would (it applies once read back, at once here). */
  set(request: ControlRequest): Promise<void>;
}

export const CONTROL_TOPIC = "engine.control";

/**
 * Builds the controls; the board starts reading the log unless `started` is false (then the
 * test starts it: until then nothing may be executed).
 */
export async function startControls(
  database: DatabaseHandle,
  options: { limits?: Partial<PreTradeLimits>; started?: boolean; bus?: InMemoryTransport } = {},
): Promise<ControlsUnderTest> {
  const bus = options.bus ?? new InMemoryTransport();
  const metrics = new EngineMetrics();
  const board = new ControlBoard({
    log: new InMemoryControlLog(bus, CONTROL_TOPIC),
    clock: systemClock,
    logger: silentLogger,
    metrics,
  });
  if (options.started !== false) await board.start();
  const positions = new PositionLedger(database);
  const gate = new TradingGate({
    board,
    exposure: (namespace, strategyId, token) => positions.exposure(namespace, strategyId, token),
    limits: () => ({ ...NO_PRE_TRADE_LIMITS, ...options.limits }),
    usage: new OrderUsage(),
    quote: fixedQuote,
    metrics,
  });
  return {
    bus,
    board,
    gate,
    positions,
    metrics,
    set: async (request) => {
      await board.request(request, "ops");
    },
  };
}
