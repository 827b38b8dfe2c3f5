import { type Clock, type Logger, MarketCalendarFile, MarketHoursChecker } from "@engine/core";
import type { EngineMetrics } from "../observability/metrics.js";
import type { EngineSettings } from "../settings/engine-settings.js";

/** India has had no daylight saving since 1945: IST is a fixed UTC+05:30. */
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;

export interface MarketCalendarDeps {
  settings: EngineSettings["marketHours"];
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
}

/** The engine's market hours, kept up to date with the calendar file while it runs. */
export interface RunningMarketCalendar {
  checker: MarketHoursChecker;
  /** One look at the calendar file and at today's coverage (the timer calls it; tests too). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the market hours checker from the settings (shipped calendar, `MARKET_EXTRA_HOLIDAYS`,
 * `MARKET_EXTRA_SESSIONS`, `MARKET_CALENDAR_FILE`) and, every `MARKET_CALENDAR_POLL_MS`, reloads
 * the calendar file when it changed and checks that today is in a covered year: if not, the
 * engine is trading on weekdays alone, so it logs an error at start and once a day (IST) and
 * `engine_market_calendar_covered` reads 0.
 * @throws MarketCalendarFileError when the calendar file cannot be used at start
 */
export async function startMarketCalendar(
  deps: MarketCalendarDeps,
): Promise<RunningMarketCalendar> {
  const { settings, clock, logger, metrics } = deps;
  const log = logger.child({ component: "market-calendar" });
  const file = settings.calendarFile
    ? new MarketCalendarFile(settings.calendarFile, { logger: log })
    : null;
  const checker = new MarketHoursChecker({
    mode: settings.mode,
    extraHolidays: settings.extraHolidays,
    extraSessions: settings.extraSessions,
    calendar: file ? await file.load() : null,
    clock,
  });
  if (file) log.info({ file: file.path, ...summary(file) }, "market calendar file loaded");

  let warnedOn: string | null = null;
  const checkCoverage = () => {
    const coverage = checker.coverage();
    metrics.marketCalendarCovered.set(coverage.covered ? 1 : 0);
    const today = new Date(clock.now() + IST_OFFSET_MS).toISOString().slice(0, 10);
    if (coverage.covered || warnedOn === today) return;
    warnedOn = today;
    log.error(
      {
        date: today,
        last_covered_date: coverage.lastCoveredDate,
        calendar_file: settings.calendarFile,
      },
      "market calendar does not cover today: trading on weekdays alone, exchange holidays unknown; " +
        'add this year to MARKET_CALENDAR_FILE ("years" and "holidays") or upgrade @engine/core',
    );
  };

  const refresh = async () => {
    const outcome = file ? await file.poll() : "unchanged";
    if (outcome === "rejected") metrics.marketCalendarReloadFailures.inc();
    if (file && outcome === "changed") {
      checker.replaceCalendar(file.current());
      log.info({ file: file.path, ...summary(file) }, "market calendar file reloaded");
    }
    checkCoverage();
  };

  checkCoverage();
  let refreshing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = refresh().catch((error: unknown) => {
      log.error(
        { err: error instanceof Error ? error.message : String(error) },
        "market calendar refresh failed",
      );
    });
  }, settings.calendarPollMs);
  timer.unref();

  return {
    checker,
    refresh,
    async stop() {
      clearInterval(timer);
      await refreshing;
    },
  };
}

function summary(file: MarketCalendarFile) {
  const calendar = file.current();
  return {
    years: calendar?.years ?? [],
    holidays: calendar?.holidays.length ?? 0,
    sessions: calendar?.sessions.length ?? 0,
  };
}
