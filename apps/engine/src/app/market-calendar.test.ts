import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Env, loadSettings, MarketCalendarFileError } from "@engine/core";
import { FakeClock, RecordingLogger } from "@engine/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EngineMetrics } from "../observability/metrics.js";
import { EngineSettingsSchema } from "../settings/engine-settings.js";
import { Engine } from "./engine.js";
import { type RunningMarketCalendar, startMarketCalendar } from "./market-calendar.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function calendarPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "engine-calendar-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "market-calendar.json");
}

let version = 0;
/** Writes the file with an mtime of its own, as a later write would have. */
function write(path: string, content: unknown): void {
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  version += 1;
  const at = new Date(Date.UTC(2026, 10, 26, 0, 0, version));
  utimesSync(path, at, at);
}

/** An instant given as Asia/Kolkata wall-clock time. */
const ist = (wallClock: string) => Date.parse(`${wallClock}+05:30`);

async function start(env: Env, at: string) {
  const clock = new FakeClock(ist(at));
  const metrics = new EngineMetrics();
  const logger = new RecordingLogger();
  const settings = loadSettings(EngineSettingsSchema, {
    MARKET_CALENDAR_POLL_MS: "3600000",
    ...env,
  }).marketHours;
  const market: RunningMarketCalendar = await startMarketCalendar({
    settings,
    clock,
    logger,
    metrics,
  });
  cleanups.push(() => market.stop());
  const covered = async () => (await metrics.marketCalendarCovered.get()).values[0]?.value;
  const reloadFailures = async () =>
    (await metrics.marketCalendarReloadFailures.get()).values[0]?.value ?? 0;
  const errors = () => logger.records.filter((record) => record.level === "error");
  const infos = () => logger.records.filter((r) => r.level === "info").map((r) => r.message);
  return { market, clock, errors, infos, covered, reloadFailures };
}

describe("startMarketCalendar", () => {
  it("opens the market for MARKET_EXTRA_SESSIONS and closes it on MARKET_EXTRA_HOLIDAYS", async () => {
    const { market } = await start(
      { MARKET_EXTRA_SESSIONS: "2026-11-28 10:00-11:00", MARKET_EXTRA_HOLIDAYS: "2026-11-27" },
      "2026-11-28T10:30:00",
    );
    expect(market.checker.isMarketOpen()).toBe(true);
    expect(market.checker.status(ist("2026-11-28T11:00:01"))).toMatchObject({
      reason: "after_close",
    });
    expect(market.checker.status(ist("2026-11-27T12:00:00"))).toMatchObject({
      reason: "holiday",
    });
  });

  it("reports a covered day with the gauge at 1 and no error", async () => {
    const { covered, errors } = await start({}, "2026-11-26T12:00:00");
    expect(await covered()).toBe(1);
    expect(errors()).toEqual([]);
  });

  it("warns at start and once a day while today is beyond the calendar, until it is covered", async () => {
    const path = calendarPath();
    write(path, { holidays: [{ date: "2027-01-26", name: "Republic Day" }] });
    const { market, clock, covered, errors } = await start(
      { MARKET_CALENDAR_FILE: path },
      "2027-01-04T09:00:00",
    );
    expect(await covered()).toBe(0);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]?.message).toMatch(/does not cover today/);
    expect(errors()[0]?.context).toMatchObject({
      date: "2027-01-04",
      last_covered_date: "2026-12-31",
      calendar_file: path,
    });

    clock.set(ist("2027-01-04T23:59:59"));
    await market.refresh();
    expect(errors()).toHaveLength(1);
    clock.set(ist("2027-01-05T00:00:00"));
    await market.refresh();
    expect(errors()).toHaveLength(2);
    expect(errors()[1]?.context).toMatchObject({ date: "2027-01-05" });

    write(path, { years: [2027], holidays: [{ date: "2027-01-26", name: "Republic Day" }] });
    clock.set(ist("2027-01-06T09:00:00"));
    await market.refresh();
    expect(await covered()).toBe(1);
    expect(errors()).toHaveLength(2);
    expect(market.checker.coverage().lastCoveredDate).toBe("2027-12-31");
  });

  it("does not warn when the market is always open", async () => {
    const { covered, errors } = await start(
      { MARKET_HOURS_MODE: "always_open" },
      "2027-01-04T09:00:00",
    );
    expect(await covered()).toBe(1);
    expect(errors()).toEqual([]);
  });

  it("reloads the calendar file, keeps the last good one through a bad change, and counts it", async () => {
    const path = calendarPath();
    write(path, { sessions: [] });
    const { market, errors, infos, reloadFailures } = await start(
      { MARKET_CALENDAR_FILE: path },
      "2026-11-28T12:00:00",
    );
    expect(market.checker.status()).toMatchObject({ reason: "weekend" });

    write(path, {
      sessions: [{ date: "2026-11-28", open: "09:15", close: "15:30", name: "special session" }],
    });
    await market.refresh();
    expect(market.checker.isMarketOpen()).toBe(true);
    expect(infos()).toContain("market calendar file reloaded");

    write(path, { sessions: [{ date: "2026-11-28", open: "09:15", name: "no close" }] });
    await market.refresh();
    await market.refresh();
    expect(market.checker.isMarketOpen()).toBe(true);
    expect(await reloadFailures()).toBe(1);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]?.context).toMatchObject({ file: path });
    expect(String(errors()[0]?.context.problem)).toMatch(/sessions\[0\]\.close/);
  });

  it("reloads on its own timer", async () => {
    const path = calendarPath();
    write(path, {});
    const { market } = await start(
      { MARKET_CALENDAR_FILE: path, MARKET_CALENDAR_POLL_MS: "100" },
      "2026-11-28T12:00:00",
    );
    expect(market.checker.isMarketOpen()).toBe(false);
    write(path, {
      sessions: [{ date: "2026-11-28", open: "09:15", close: "15:30", name: "special session" }],
    });
    await vi.waitFor(() => expect(market.checker.isMarketOpen()).toBe(true), { timeout: 5_000 });
  });

  it("refuses a bad calendar file at start, naming MARKET_CALENDAR_FILE and the problem", async () => {
    const path = calendarPath();
    write(path, { years: [2027], holidays: [{ date: "2027-02-29", name: "no such day" }] });
    const error = await start({ MARKET_CALENDAR_FILE: path }, "2026-11-26T12:00:00").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MarketCalendarFileError);
    expect(String(error)).toMatch(/MARKET_CALENDAR_FILE.*holidays\[0\]\.date/);
  });

  it("stops the engine's start when the calendar file is missing", async () => {
    const path = join(calendarPath(), "..", "absent.json");
    const engine = new Engine({
      env: { MARKET_CALENDAR_FILE: path, HTTP_PORT: "0" },
      logger: new RecordingLogger(),
    });
    cleanups.push(() => engine.stop());
    await expect(engine.start()).rejects.toThrow(/MARKET_CALENDAR_FILE.*no such file/);
  });
});
