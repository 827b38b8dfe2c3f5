import { type Clock, systemClock } from "../ports/clock.js";
import { NSE_HOLIDAYS_2026 } from "./nse-holidays.js";

export type MarketHoursMode = "nse" | "always_open";

export type MarketStatus =
  | { open: true }
  | { open: false; reason: "weekend" | "holiday" | "before_open" | "after_close"; detail: string };

export interface MarketHoursOptions {
  mode?: MarketHoursMode;
  clock?: Clock;
  /** Extra closed dates (`YYYY-MM-DD`, Asia/Kolkata), added to the shipped calendar. */
  extraHolidays?: readonly string[];
  /** Replaces the shipped calendar (`YYYY-MM-DD` dates). */
  holidays?: readonly string[];
}

/** India has had no daylight saving since 1945: IST is a fixed UTC+05:30. */
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const SESSION_OPEN_S = (9 * 60 + 15) * 60;
const SESSION_CLOSE_S = (15 * 60 + 30) * 60;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether NSE's regular equity session is open: 09:15:00 to 15:30:00 Asia/Kolkata (both
 * included, to the second), Monday to Friday, outside exchange holidays. Independent of the
 * host's time zone.
 */
export class MarketHoursChecker {
  readonly #mode: MarketHoursMode;
  readonly #clock: Clock;
  readonly #holidays: ReadonlySet<string>;

  constructor(options: MarketHoursOptions = {}) {
    this.#mode = options.mode ?? "nse";
    this.#clock = options.clock ?? systemClock;
    const dates = [
      ...(options.holidays ?? NSE_HOLIDAYS_2026.map((holiday) => holiday.date)),
      ...(options.extraHolidays ?? []),
    ];
    for (const date of dates) {
      if (!DATE_PATTERN.test(date)) throw new TypeError(`Invalid holiday date "${date}"`);
    }
    this.#holidays = new Set(dates);
  }

  isMarketOpen(at: number = this.#clock.now()): boolean {
    return this.status(at).open;
  }

  status(at: number = this.#clock.now()): MarketStatus {
    if (this.#mode === "always_open") return { open: true };
    // Shifting the instant by the offset and reading it as UTC gives IST wall-clock fields.
    const ist = new Date(at + IST_OFFSET_MS);
    const date = ist.toISOString().slice(0, 10);
    const weekday = ist.getUTCDay();
    if (weekday === 0 || weekday === 6) {
      return { open: false, reason: "weekend", detail: `${date} is a weekend` };
    }
    if (this.#holidays.has(date)) {
      return { open: false, reason: "holiday", detail: `${date} is an exchange holiday` };
    }
    const seconds = ist.getUTCHours() * 3600 + ist.getUTCMinutes() * 60 + ist.getUTCSeconds();
    if (seconds < SESSION_OPEN_S) {
      return { open: false, reason: "before_open", detail: "the session opens at 09:15 IST" };
    }
    if (seconds > SESSION_CLOSE_S) {
      return { open: false, reason: "after_close", detail: "the session closed at 15:30 IST" };
    }
    return { open: true };
  }
}
