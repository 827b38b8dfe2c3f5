import {
  ControlRequestSchema,
  controlFromRequest,
  silentLogger,
  systemClock,
  type TradingControl,
} from "@engine/core";
import { describe, expect, it } from "vitest";
import { EngineMetrics } from "../observability/metrics.js";
import { ControlBoard } from "./control-board.js";
import type { ControlLog } from "./control-log.js";

/** A log whose reader hands `records` at `follow`, and whatever a test feeds it later. */
class ScriptedLog implements ControlLog {
  feed: (value: string, position: bigint) => void = () => {};
  constructor(readonly records: [TradingControl, bigint][]) {}
  async append(): Promise<void> {}
  async follow(onMessage: (value: string, position: bigint) => void): Promise<void> {
    this.feed = onMessage;
    for (const [control, position] of this.records) onMessage(JSON.stringify(control), position);
  }
  async close(): Promise<void> {}
}

function control(state: "HALTED" | "ACTIVE", cancelOpen = false): TradingControl {
  return controlFromRequest(
    ControlRequestSchema.parse({ scope: "global", state, reason: "r", cancel_open: cancelOpen }),
    "ops",
    Date.now(),
  );
}

describe("ControlBoard", () => {
  it("shows each scope's state in force on engine_trading_state, an expired halt as ACTIVE", async () => {
    const lapsed = controlFromRequest(
      ControlRequestSchema.parse({
        scope: "namespace",
        namespace: "paper",
        state: "HALTED",
        reason: "r",
        expires_at: new Date(Date.now() - 1_000).toISOString(),
      }),
      "ops",
      Date.now() - 60_000,
    );
    const metrics = new EngineMetrics();
    const board = new ControlBoard({
      log: new ScriptedLog([
        [control("HALTED"), 0n],
        [lapsed, 1n],
      ]),
      clock: systemClock,
      logger: silentLogger,
      metrics,
    });
    await board.start();
    const text = await metrics.render();
    expect(text).toContain('engine_trading_state{scope="global"} 2');
    expect(text).toContain('engine_trading_state{scope="namespace:paper"} 0');
  });

  it("tells listeners only of changes after it caught up, and ignores records read again after a reader restart", async () => {
    const halt = control("HALTED", true);
    const resume = control("ACTIVE");
    const log = new ScriptedLog([[halt, 0n]]);
    const board = new ControlBoard({
      log,
      clock: systemClock,
      logger: silentLogger,
      metrics: new EngineMetrics(),
    });
    const told: string[] = [];
    board.onChange((change) => told.push(change.state));
    await board.start();
    expect(board.caughtUp).toBe(true);
    expect(board.resolve({ namespace: "zerodha", strategyId: "s" }).state).toBe("HALTED");
    expect(told).toEqual([]);

    log.feed(JSON.stringify(resume), 1n);
    expect(told).toEqual(["ACTIVE"]);
    // The reader restarts from the beginning: the old halt comes again and must not re-apply.
    log.feed(JSON.stringify(halt), 0n);
    log.feed(JSON.stringify(resume), 1n);
    expect(told).toEqual(["ACTIVE"]);
    expect(board.resolve({ namespace: "zerodha", strategyId: "s" }).state).toBe("ACTIVE");
    // A record that does not parse changes nothing.
    log.feed("{not json", 2n);
    expect(board.list()).toHaveLength(1);
  });
});
