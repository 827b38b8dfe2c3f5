import {
  ControlRequestSchema,
  controlFromRequest,
  silentLogger,
  systemClock,
  type TradingControl,
} from "@engine/core";
import { RecordingLogger } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import { EngineMetrics } from "../observability/metrics.js";
import { ControlBoard } from "./control-board.js";
import type { ControlLog, ControlLogReader } from "./control-log.js";

/** A log whose reader is handed `records` at `follow`, and whatever a test feeds it later. */
class ScriptedLog implements ControlLog {
  reader: ControlLogReader | undefined;
  constructor(readonly records: TradingControl[]) {}
  async connect(): Promise<void> {}
  async append(): Promise<void> {}
  async follow(reader: ControlLogReader): Promise<void> {
    this.reader = reader;
    for (const control of this.records) reader.record(JSON.stringify(control));
    reader.caughtUp();
  }
  feed(control: TradingControl | string): void {
    this.reader?.record(typeof control === "string" ? control : JSON.stringify(control));
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
      log: new ScriptedLog([control("HALTED"), lapsed]),
      clock: systemClock,
      logger: silentLogger,
      metrics,
    });
    await board.start();
    const text = await metrics.render();
    expect(text).toContain('engine_trading_state{scope="global"} 2');
    expect(text).toContain('engine_trading_state{scope="namespace:paper"} 0');
  });

  it("tells listeners only of changes after it caught up, and nothing again for records read again after a reader restart", async () => {
    const halt = control("HALTED", true);
    const resume = control("ACTIVE");
    const log = new ScriptedLog([halt]);
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

    log.feed(resume);
    expect(told).toEqual(["ACTIVE"]);
    // The reader restarts from the beginning: the old halt comes again and must not re-apply.
    log.reader?.rewind("restart");
    log.feed(halt);
    log.feed(resume);
    log.reader?.caughtUp();
    expect(told).toEqual(["ACTIVE"]);
    expect(board.resolve({ namespace: "zerodha", strategyId: "s" }).state).toBe("ACTIVE");
    // A record that does not parse changes nothing.
    log.feed("{not json");
    expect(board.list()).toHaveLength(1);
  });

  it("holds orders while the log is read anew after it was lost, then takes the new log's changes and keeps scopes it lacks", async () => {
    const strategyHalt = controlFromRequest(
      ControlRequestSchema.parse({
        scope: "strategy",
        strategy_id: "s",
        state: "HALTED",
        reason: "old",
      }),
      "ops",
      Date.now(),
    );
    const log = new ScriptedLog([strategyHalt]);
    const logger = new RecordingLogger();
    const board = new ControlBoard({
      log,
      clock: systemClock,
      logger,
      metrics: new EngineMetrics(),
    });
    const told: string[] = [];
    board.onChange((change) => told.push(`${change.scope}=${change.state}`));
    await board.start();

    // The topic was re-created: its reader starts again on a log without the old halt.
    log.reader?.rewind("control topic t: offset 0 after 3");
    expect(board.caughtUp).toBe(false);
    expect(
      logger.records.some((r) => r.level === "error" && /read again/.test(r.message ?? "")),
    ).toBe(true);
    let ready = false;
    void board.ready.then(() => {
      ready = true;
    });
    const globalHalt = control("HALTED");
    log.feed(globalHalt);
    await Promise.resolve();
    expect(ready).toBe(false);
    log.reader?.caughtUp();
    await board.ready;
    expect(board.caughtUp).toBe(true);
    expect(board.resolve({ namespace: "zerodha", strategyId: "other" }).state).toBe("HALTED");
    expect(
      board
        .list()
        .map((c) => c.key)
        .sort(),
    ).toEqual(["global", "strategy:s"]);
    expect(told).toEqual(["global=HALTED"]);
  });
});
