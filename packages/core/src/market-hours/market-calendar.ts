import { z } from "zod";

/** A calendar date in Asia/Kolkata, `YYYY-MM-DD`; a real day (2026-02-30 is refused). */
export const CalendarDateSchema = z.iso.date({ error: "expected a date YYYY-MM-DD" });

/** A wall-clock time in Asia/Kolkata, `HH:MM`, from 00:00 to 23:59. */
export const SessionTimeSchema = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, "expected a time HH:MM, from 00:00 to 23:59");

/** A day the exchange does not trade its regular session. */
export const MarketHolidaySchema = z.strictObject({
  date: CalendarDateSchema,
  name: z.string().trim().min(1, "expected a name"),
});
/** A parsed holiday (`MarketHolidaySchema`). */
export type MarketHoliday = z.infer<typeof MarketHolidaySchema>;

/**
 * A trading session the exchange announced for one date (a special weekend session, Muhurat
 * trading on Diwali evening): open from `open`:00 to `close`:00 IST, both included, to the second,
 * as the regular session. Within one date: a session cannot run past midnight.
 */
export const MarketSessionSchema = z
  .strictObject({
    date: CalendarDateSchema,
    open: SessionTimeSchema,
    close: SessionTimeSchema,
    name: z.string().trim().min(1, "expected a name"),
  })
  .refine((session) => session.open < session.close, {
    message: "expected the session to close after it opens",
    path: ["close"],
  });
/** A parsed announced session (`MarketSessionSchema`). */
export type MarketSession = z.infer<typeof MarketSessionSchema>;

/**
 * A market calendar as data: what `MARKET_CALENDAR_FILE` holds (JSON), and what
 * `MarketHoursChecker.replaceCalendar` takes.
 *
 * - `years`: calendar years whose *full* holiday list this holds (the exchange's annual circular).
 *   They count as covered (`MarketHoursChecker.coverage`); a holiday or a session alone does not
 *   make its year covered.
 * - `holidays`: dates without the regular session (added to the shipped calendar).
 * - `sessions`: dates with announced sessions; a date's sessions are its trading hours, in place
 *   of the regular 09:15-15:30, even on a weekend or a holiday.
 * - `source`: free text, for people: where the dates come from (the circular's number).
 *
 * Unknown keys are refused, so a misspelt `holiday` is an error rather than an empty calendar.
 */
export const MarketCalendarSchema = z.strictObject({
  source: z.string().optional(),
  years: z.array(z.number().int().min(2000).max(2100)).default([]),
  holidays: z.array(MarketHolidaySchema).default([]),
  sessions: z.array(MarketSessionSchema).default([]),
});
/** A parsed market calendar (`MarketCalendarSchema`). */
export type MarketCalendar = z.infer<typeof MarketCalendarSchema>;

const SESSION_ENTRY = /^(\S+)\s+(\S+)-(\S+)$/;

/**
 * Reads one `MARKET_EXTRA_SESSIONS` entry, `YYYY-MM-DD HH:MM-HH:MM` (IST), as a session named
 * `name`; null when the entry is malformed, the date or a time invalid, or the session closes
 * before it opens.
 */
export function parseSessionEntry(entry: string, name: string): MarketSession | null {
  const match = SESSION_ENTRY.exec(entry.trim());
  if (!match) return null;
  const parsed = MarketSessionSchema.safeParse({
    date: match[1],
    open: match[2],
    close: match[3],
    name,
  });
  return parsed.success ? parsed.data : null;
}
