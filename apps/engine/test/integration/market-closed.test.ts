import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "@engine/core/testing";
import { describe, expect, vi } from "vitest";
import { putStrategy } from "./test-support/database.js";
import { benchTest, FILE_SCOPE, newSite } from "./test-support/fixtures.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import { readLiveRecord } from "./test-support/live-standin.js";
import { asMessage, type SignalInput, validatedSignal } from "./test-support/messages.js";
import {
  executionRows,
  primePrice,
  resultsOf,
  sendOne,
  signalGroupOf,
  signalRow,
  sleep,
  waitForCommit,
} from "./test-support/probes.js";

/** Wednesday 25 November 2026, 11:00 IST: a regular session. */
const SESSION_OPEN = "2026-11-25T05:30:00Z";
const clock = new FakeClock(SESSION_OPEN);
// Announced while the engines run (see the calendar tests below).
const calendarFile = join(tmpdir(), `market-calendar-${randomBytes(6).toString("hex")}.json`);

const it = benchTest
  .extend("options", FILE_SCOPE, {
    label: "mkt",
    clock,
    env: {
      MARKET_HOURS_MODE: "nse",
      LOG_LEVEL: "error",
      // Saturday 21 November 2026: a special session, from the environment.
      MARKET_EXTRA_SESSIONS: "2026-11-21 10:00-12:00",
      MARKET_CALENDAR_FILE: calendarFile,
      MARKET_CALENDAR_POLL_MS: "200",
    },
  })
  .extend(
    "engine",
    { scope: "file", auto: true },
    async ({ startEngine, teardown, bench, token }) => {
      writeFileSync(calendarFile, JSON.stringify({}));
      teardown.defer(() => rmSync(calendarFile, { force: true }));
      const engine = await startEngine();
      await putStrategy(bench.db, { id: "mkt_live", zerodhaTradingEnabled: true });
      await putStrategy(bench.db, { id: "mkt_paper", zerodhaTradingEnabled: false });
      await primePrice(engine, bench.producer, token, 99.5);
      return engine;
    },
  )
  // No paper, and a live namespace the test strategies do not enable: nothing to execute on.
  // Started after the file's engine, which migrates the database.
  .extend("liveOnly", { scope: "file", auto: true }, ({ startEngine, engine: _first }) =>
    startEngine({ PAPER_TRADING_ENABLED: "false" }, { site: newSite("mktlive") }),
  )
  /** Sends a signal to an engine and waits until the engine committed it (its effects are out). */
  .extend(
    "handled",
    FILE_SCOPE,
    ({ bench: { producer }, token }) =>
      async (target: TestEngine, input: SignalInput) => {
        // Validated at the engine's (fake) time: a signal dated ahead of the engine's clock is refused.
        const signal = validatedSignal({
          instrumentToken: token,
          at: new Date(clock.now()),
          ...input,
        });
        const sent = await sendOne(producer, target.running.topics.signals, asMessage(signal));
        await waitForCommit(signalGroupOf(target), target.running.topics.signals, sent);
        return signal;
      },
  );

describe("NSE market hours on real Kafka and PostgreSQL", () => {
  it.for([
    ["on a Saturday", "2026-11-28T05:30:00Z", /weekend/],
    ["on an NSE holiday (Guru Nanak Jayanti, a Tuesday)", "2026-11-24T05:30:00Z", /holiday/],
    ["at 16:00 IST on a weekday, after the close", "2026-11-25T10:30:00Z", /15:30/],
    ["at 09:00 IST on a weekday, before the open", "2026-11-25T03:30:00Z", /09:15/],
  ] as const)(
    "fails a signal %s with MARKET_CLOSED on every target namespace and executes nothing",
    async ([, at, detail], { engine, recordFile, handled, bench: { db, recorder } }) => {
      clock.set(at);
      const signal = await handled(engine, { strategyId: "mkt_live" });
      await recorder.waitForResults(
        signal.id,
        ["paper.orders.failed", "livesim.orders.failed"],
        30_000,
        "MARKET_CLOSED on paper and livesim",
      );
      for (const ns of ["paper", "livesim"]) {
        const [failed] = recorder.causedBy(`${ns}.orders.failed`, signal.id);
        expect(failed?.json).toMatchObject({
          type: "order_failed",
          broker: ns,
          data: { error_code: "MARKET_CLOSED", order_id: "N/A", execution_mode: ns },
        });
        expect(String(failed?.json.data?.error_message)).toMatch(detail);
        expect(resultsOf(recorder, signal.id, ns)).toHaveLength(1);
      }
      expect(readLiveRecord(recordFile).filter((o) => o.signal_id === signal.id)).toEqual([]);
      expect(await signalRow(db, signal.id)).toMatchObject({
        disposition: "market_closed",
        targets: ["paper", "livesim"],
      });
      expect(
        (await executionRows(db, signal.id)).map((row) => [row.namespace, row.error_code]),
      ).toEqual([
        ["livesim", "MARKET_CLOSED"],
        ["paper", "MARKET_CLOSED"],
      ]);
    },
  );

  it("executes the same strategy's signal during the session (the clock, not the setup, closed the market)", async ({
    engine,
    recordFile,
    handled,
    bench: { db, recorder },
  }) => {
    clock.set(SESSION_OPEN);
    const signal = await handled(engine, { strategyId: "mkt_live" });
    await recorder.waitForResults(
      signal.id,
      ["paper.orders.filled", "livesim.orders.filled"],
      30_000,
      "fills on paper and livesim",
    );
    expect(readLiveRecord(recordFile).filter((o) => o.signal_id === signal.id)).toHaveLength(1);
    expect((await signalRow(db, signal.id))?.disposition).toBe("routed");
  });

  it("executes in a Saturday session from MARKET_EXTRA_SESSIONS, and refuses after it", async ({
    engine,
    handled,
    bench: { recorder },
  }) => {
    clock.set("2026-11-21T05:30:00Z"); // 11:00 IST
    const inSession = await handled(engine, { strategyId: "mkt_live" });
    await recorder.waitForResults(
      inSession.id,
      ["paper.orders.filled", "livesim.orders.filled"],
      30_000,
      "fills on paper and livesim in the Saturday session",
    );
    clock.set("2026-11-21T07:00:00Z"); // 12:30 IST
    const after = await handled(engine, { strategyId: "mkt_live" });
    await recorder.waitForResults(after.id, ["paper.orders.failed"], 30_000, "MARKET_CLOSED");
    const [failed] = recorder.causedBy("paper.orders.failed", after.id);
    expect(failed?.json.data).toMatchObject({ error_code: "MARKET_CLOSED" });
    expect(String(failed?.json.data?.error_message)).toMatch(/closed at 12:00 IST/);
  });

  it("follows the calendar file while running: a new holiday closes, an evening session opens", async ({
    engine,
    handled,
    bench: { recorder },
  }) => {
    writeFileSync(
      calendarFile,
      JSON.stringify({
        holidays: [{ date: "2026-11-27", name: "a closure announced today" }],
        // Diwali Balipratipada, a shipped holiday: open for this session only.
        sessions: [{ date: "2026-11-10", open: "18:00", close: "19:00", name: "evening session" }],
      }),
    );
    await sleep(1_500); // several MARKET_CALENDAR_POLL_MS
    clock.set("2026-11-27T05:30:00Z"); // Friday 11:00 IST
    const closed = await handled(engine, { strategyId: "mkt_live" });
    await recorder.waitForResults(closed.id, ["paper.orders.failed"], 30_000, "MARKET_CLOSED");
    const [failed] = recorder.causedBy("paper.orders.failed", closed.id);
    expect(String(failed?.json.data?.error_message)).toMatch(/a closure announced today/);

    clock.set("2026-11-10T13:00:00Z"); // 18:30 IST
    const evening = await handled(engine, { strategyId: "mkt_live" });
    await recorder.waitForResults(
      evening.id,
      ["paper.orders.filled", "livesim.orders.filled"],
      30_000,
      "fills in the evening session",
    );
  });

  it("reports on /metrics whether today's year has a calendar", async ({ engine }) => {
    const gauge = async () =>
      /^engine_market_calendar_covered (\d)$/m.exec(await engine.running.metrics.render())?.[1];
    const becomes = (value: string) =>
      vi.waitFor(async () => expect(await gauge()).toBe(value), { timeout: 10_000 });
    clock.set(SESSION_OPEN);
    await becomes("1");
    clock.set("2027-01-04T05:30:00Z");
    await becomes("0");
    clock.set(SESSION_OPEN);
    await becomes("1");
  });

  it("records a HOLD signal as hold and publishes nothing for it, open or closed", async ({
    engine,
    handled,
    bench: { db, recorder },
  }) => {
    clock.set("2026-11-28T05:30:00Z");
    const closed = await handled(engine, { strategyId: "mkt_live", signalType: "HOLD" });
    clock.set(SESSION_OPEN);
    const open = await handled(engine, { strategyId: "mkt_live", signalType: "HOLD" });
    await sleep(1_500);
    for (const signal of [closed, open]) {
      expect(await signalRow(db, signal.id)).toMatchObject({ disposition: "hold", targets: [] });
      expect(await executionRows(db, signal.id)).toEqual([]);
      expect(resultsOf(recorder, signal.id, "paper")).toEqual([]);
      expect(resultsOf(recorder, signal.id, "livesim")).toEqual([]);
    }
  });

  it("records a signal with no target namespace as no_target and publishes nothing for it", async ({
    handled,
    liveOnly,
    bench: { db, recorder },
  }) => {
    clock.set(SESSION_OPEN);
    // Paper is disabled on this engine and the strategy does not enable the live namespace.
    const notEnabled = await handled(liveOnly, { strategyId: "mkt_paper" });
    const unknown = await handled(liveOnly, { strategyId: "mkt_unknown_strategy" });
    const inactive = "mkt_inactive";
    await putStrategy(db, { id: inactive, zerodhaTradingEnabled: true, isActive: false });
    const notActive = await handled(liveOnly, { strategyId: inactive });
    await sleep(1_500);
    for (const signal of [notEnabled, unknown, notActive]) {
      expect(await signalRow(db, signal.id)).toMatchObject({
        disposition: "no_target",
        targets: [],
      });
      expect(await executionRows(db, signal.id)).toEqual([]);
      expect(resultsOf(recorder, signal.id, "paper")).toEqual([]);
      expect(resultsOf(recorder, signal.id, "livesim")).toEqual([]);
    }
    expect(liveOnly.running.namespaces).toEqual(["livesim"]);
  });
});
