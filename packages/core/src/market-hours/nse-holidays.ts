import type { MarketHoliday } from "./market-calendar.js";

/**
 * NSE trading holidays (equity segment), as published by the exchange in its circular of
 * December 2025 for the calendar year 2026, with the closure it added on 12 January 2026
 * (Thursday 15 January, Municipal Corporation elections in Maharashtra: the circular turned an
 * announced settlement holiday into a trading holiday). Dates are in Asia/Kolkata. Kite has no
 * holiday API, so the list ships as data; later closures go in `MARKET_EXTRA_HOLIDAYS` or the
 * calendar file (`MARKET_CALENDAR_FILE`).
 */
export const NSE_HOLIDAYS_2026: readonly MarketHoliday[] = [
  { date: "2026-01-15", name: "Municipal Corporation elections in Maharashtra" },
  { date: "2026-01-26", name: "Republic Day" },
  { date: "2026-03-03", name: "Holi" },
  { date: "2026-03-26", name: "Shri Ram Navami" },
  { date: "2026-03-31", name: "Shri Mahavir Jayanti" },
  { date: "2026-04-03", name: "Good Friday" },
  { date: "2026-04-14", name: "Dr. Baba Saheb Ambedkar Jayanti" },
  { date: "2026-05-01", name: "Maharashtra Day" },
  { date: "2026-05-28", name: "Bakri Id" },
  { date: "2026-06-26", name: "Muharram" },
  { date: "2026-09-14", name: "Ganesh Chaturthi" },
  { date: "2026-10-02", name: "Mahatma Gandhi Jayanti" },
  { date: "2026-10-20", name: "Dussehra" },
  { date: "2026-11-10", name: "Diwali Balipratipada" },
  { date: "2026-11-24", name: "Prakash Gurpurb Sri Guru Nanak Dev" },
  { date: "2026-12-25", name: "Christmas" },
];

/**
 * The shipped calendar: every year whose full holiday list is known, by year. A date in any other
 * year is "not covered" (`MarketHoursChecker.coverage`): the engine treats it as a regular
 * weekday or weekend and warns loudly until the year's list is configured.
 *
 * 2027 is not here: NSE publishes a year's list in a circular in December of the year before, and
 * no published 2027 list could be found when this was written (late November 2026). Until it
 * ships, put it in the calendar file with `"years": [2027]`; do not guess it from past years
 * (festival dates follow the lunar calendar and the exchange adds and moves closures).
 */
export const NSE_HOLIDAYS_BY_YEAR: ReadonlyMap<number, readonly MarketHoliday[]> = new Map([
  [2026, NSE_HOLIDAYS_2026],
]);
