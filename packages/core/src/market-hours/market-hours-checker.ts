import { type Clock, systemClock } from "../ports/clock.js";
import {
  CalendarDateSchema,
  type MarketCalendar,
  type MarketSession,
  MarketSessionSchema,
} from "./market-calendar.js";
import { NSE_HOLIDAYS_BY_YEAR } from "./nse-holidays.js";

/** `nse`: NSE's equity session and calendar (`MARKET_HOURS_MODE`); `always_open`: every instant (tests, demos). */
export type MarketHoursMode = "nse" | "always_open";

/** Whether the market is open at an instant, and when closed why (`detail` for people). */
export type MarketStatus =
  | { open: true }
  | { open: false; reason: "weekend" | "holiday" | "before_open" | "after_close"; detail: string };

/** Whether a date's year has a known holiday list (shipped, or `years` of a configured calendar). */
export interface CalendarCoverage {
  /** True when the IST date's year is covered; always true in `always_open` mode. */
  covered: boolean;
  /** The last day of the last covered year (`YYYY-12-31`, IST), or null when none is. */
  lastCoveredDate: string | null;
}

/** How a `MarketHoursChecker` is set up; every field is optional (NSE, the system clock, the shipped calendar). */
export interface MarketHoursOptions {
  mode?: MarketHoursMode;
  clock?: Clock;
  /** Extra closed dates (`YYYY-MM-DD`, Asia/Kolkata), added to the shipped calendar. */
  extraHolidays?: readonly string[];
  /** Replaces the shipped calendar (`YYYY-MM-DD` dates); the years of its dates count as covered. */
  holidays?: readonly string[];
  /** Announced sessions (`MARKET_EXTRA_SESSIONS`): see {@link MarketHoursChecker} for precedence. */
  extraSessions?: readonly MarketSession[];
  /** A calendar added on top of the rest, as {@link MarketHoursChecker.replaceCalendar} sets it. */
  calendar?: MarketCalendar | null;
}

/** India has had no daylight saving since 1945: IST is a fixed UTC+05:30. */
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const REGULAR_SESSION = { open: "09:15", close: "15:30", name: "" };

/** What one date has that differs from a regular weekday. */
interface DayRule {
  /** The holiday's name ("" when it has none), when the date is one. */
  holiday: string | null;
  /** Announced sessions of the date, by opening time, in seconds since IST midnight. */
  sessions: { open: number; close: number; openText: string; closeText: string; name: string }[];
}

/**
 * Whether NSE's equity market is open: by default its regular session, 09:15:00 to 15:30:00
 * Asia/Kolkata (both included, to the second), Monday to Friday, outside exchange holidays.
 * Independent of the host's time zone.
 *
 * Precedence, for the IST date of the instant:
 * 1. Announced sessions of the date (`extraSessions`, a calendar's `sessions`): when the date has
 *    any, they are its trading hours, and nothing else is, whatever the weekday and even when the
 *    date is a holiday. A special Saturday session or Muhurat trading on a Diwali holiday opens the
 *    market for its hours only; a shortened day is a session on a weekday; a cancelled holiday is
 *    a 09:15-15:30 session on it. Sessions of one date from several sources all count.
 * 2. A holiday (shipped, `extraHolidays`, a calendar's `holidays`): closed all day.
 * 3. Saturday and Sunday: closed.
 * 4. Otherwise the regular session.
 *
 * Dates in a year no calendar covers follow 2 to 4 with the holidays known (usually none): see
 * {@link MarketHoursChecker.coverage}.
 */
export class MarketHoursChecker {
  readonly #mode: MarketHoursMode;
  readonly #clock: Clock;
  /** Rules from the constructor: the shipped calendar (or its replacement) and the extras. */
  readonly #base: Map<string, DayRule>;
  readonly #baseYears: ReadonlySet<number>;
  #days: ReadonlyMap<string, DayRule>;
  #coveredYears: ReadonlySet<number>;

  /** @throws TypeError naming a malformed holiday date or session */
  constructor(options: MarketHoursOptions = {}) {
    this.#mode = options.mode ?? "nse";
    this.#clock = options.clock ?? systemClock;
    this.#base = new Map();
    const shipped = options.holidays
      ? options.holidays.map((date) => ({ date, name: "" }))
      : [...NSE_HOLIDAYS_BY_YEAR.values()].flat();
    const years = new Set<number>(options.holidays ? [] : NSE_HOLIDAYS_BY_YEAR.keys());
    for (const { date, name } of shipped) {
      addHoliday(this.#base, checkedDate(date), name);
      if (options.holidays) years.add(Number(date.slice(0, 4)));
    }
    for (const date of options.extraHolidays ?? []) {
      addHoliday(this.#base, checkedDate(date), "extra holiday");
    }
    for (const session of options.extraSessions ?? []) {
      const parsed = MarketSessionSchema.safeParse(session);
      if (!parsed.success) throw new TypeError(`Invalid session ${JSON.stringify(session)}`);
      addSession(this.#base, parsed.data);
    }
    this.#baseYears = years;
    this.#days = this.#base;
    this.#coveredYears = years;
    if (options.calendar) this.replaceCalendar(options.calendar);
  }

  /**
   * Replaces the calendar added on top of the constructor's (in the engine: the one read from
   * `MARKET_CALENDAR_FILE`); null removes it. Takes effect for the next `status` call.
   */
  replaceCalendar(calendar: MarketCalendar | null): void {
    if (calendar === null) {
      this.#days = this.#base;
      this.#coveredYears = this.#baseYears;
      return;
    }
    const days = new Map<string, DayRule>();
    for (const [date, rule] of this.#base) {
      days.set(date, { holiday: rule.holiday, sessions: [...rule.sessions] });
    }
    for (const { date, name } of calendar.holidays) addHoliday(days, date, name);
    for (const session of calendar.sessions) addSession(days, session);
    this.#days = days;
    this.#coveredYears = new Set([...this.#baseYears, ...calendar.years]);
  }

  /** Whether the market is open at `at` (epoch ms; default now). */
  isMarketOpen(at: number = this.#clock.now()): boolean {
    return this.status(at).open;
  }

  /** The market's status at `at` (epoch ms; default now), with the reason when closed. */
  status(at: number = this.#clock.now()): MarketStatus {
    if (this.#mode === "always_open") return { open: true };
    // Shifting the instant by the offset and reading it as UTC gives IST wall-clock fields.
    const ist = new Date(at + IST_OFFSET_MS);
    const date = ist.toISOString().slice(0, 10);
    const seconds = ist.getUTCHours() * 3600 + ist.getUTCMinutes() * 60 + ist.getUTCSeconds();
    const rule = this.#days.get(date);
    if (rule && rule.sessions.length > 0) return sessionStatus(rule.sessions, seconds);
    if (rule && rule.holiday !== null) {
      const detail = `${date} is an exchange holiday${named(rule.holiday)}`;
      return { open: false, reason: "holiday", detail };
    }
    const weekday = ist.getUTCDay();
    if (weekday === 0 || weekday === 6) {
      return { open: false, reason: "weekend", detail: `${date} is a weekend` };
    }
    return sessionStatus(REGULAR, seconds);
  }

  /**
   * Whether the IST date of `at` is in a year whose holiday list is known: a shipped year, or a
   * year a calendar lists in `years`. A date outside them is traded as a regular weekday (or
   * weekend), which is wrong on every holiday of that year: the engine warns while it lasts.
   */
  coverage(at: number = this.#clock.now()): CalendarCoverage {
    const year = new Date(at + IST_OFFSET_MS).getUTCFullYear();
    const last = Math.max(...this.#coveredYears);
    return {
      covered: this.#mode === "always_open" || this.#coveredYears.has(year),
      lastCoveredDate: Number.isFinite(last) ? `${String(last).padStart(4, "0")}-12-31` : null,
    };
  }
}

function checkedDate(date: string): string {
  if (!CalendarDateSchema.safeParse(date).success) {
    throw new TypeError(`Invalid holiday date "${date}"`);
  }
  return date;
}

function ruleOf(days: Map<string, DayRule>, date: string): DayRule {
  let rule = days.get(date);
  if (!rule) {
    rule = { holiday: null, sessions: [] };
    days.set(date, rule);
  }
  return rule;
}

/** A later source's name replaces an earlier one's (the calendar file says it best). */
function addHoliday(days: Map<string, DayRule>, date: string, name: string): void {
  ruleOf(days, date).holiday = name;
}

function addSession(days: Map<string, DayRule>, session: MarketSession): void {
  const sessions = ruleOf(days, session.date).sessions;
  sessions.push(toSeconds(session));
  sessions.sort((a, b) => a.open - b.open);
}

function toSeconds(session: { open: string; close: string; name: string }) {
  const seconds = (time: string) => Number(time.slice(0, 2)) * 3600 + Number(time.slice(3)) * 60;
  return {
    open: seconds(session.open),
    close: seconds(session.close),
    openText: session.open,
    closeText: session.close,
    name: session.name,
  };
}

const REGULAR = [toSeconds(REGULAR_SESSION)];

function named(name: string): string {
  return name === "" ? "" : ` (${name})`;
}

/** Open within a session, its close included to the second; otherwise which session is next. */
function sessionStatus(sessions: DayRule["sessions"], seconds: number): MarketStatus {
  let next: DayRule["sessions"][number] | undefined;
  for (const session of sessions) {
    // Sessions may overlap: any one that holds the instant opens the market.
    if (seconds >= session.open && seconds <= session.close) return { open: true };
    if (seconds < session.open && (next === undefined || session.open < next.open)) next = session;
  }
  if (next) {
    return {
      open: false,
      reason: "before_open",
      detail: `the session opens at ${next.openText} IST${named(next.name)}`,
    };
  }
  const last = sessions.reduce((a, b) => (b.close > a.close ? b : a));
  return {
    open: false,
    reason: "after_close",
    detail: `the session closed at ${last.closeText} IST${named(last.name)}`,
  };
}
