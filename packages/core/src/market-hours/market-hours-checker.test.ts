import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../testing/fake-clock.js";
import type { MarketCalendar, MarketSession } from "./market-calendar.js";
import { MarketHoursChecker, type MarketStatus } from "./market-hours-checker.js";
import { NSE_HOLIDAYS_2026 } from "./nse-holidays.js";

/** An instant given as Asia/Kolkata wall-clock time. */
function ist(wallClock: string): number {
  return Date.parse(`${wallClock}+05:30`);
}

/**
 * vitest.config.ts runs this file once per host time zone. Each zone's offsets at two known
 * instants (New York has daylight saving, the others do not) prove the zone really applied.
 */
const HOST_ZONES: Record<string, { names: string[]; winter: number; summer: number }> = {
  UTC: { names: ["UTC", "Etc/UTC"], winter: 0, summer: 0 },
  "America/New_York": { names: ["America/New_York"], winter: 300, summer: 240 },
  "Asia/Kolkata": { names: ["Asia/Kolkata", "Asia/Calcutta"], winter: -330, summer: -330 },
};

describe("host time zone of this run", () => {
  it("is the zone the vitest project asked for", () => {
    const zone = process.env.TZ ?? "(unset: run through vitest.config.ts projects)";
    const expected = HOST_ZONES[zone];
    expect(expected, `TZ=${zone} is not one of the configured zones`).toBeDefined();
    expect(new Date("2026-11-25T12:00:00Z").getTimezoneOffset()).toBe(expected?.winter);
    expect(new Date("2026-07-01T12:00:00Z").getTimezoneOffset()).toBe(expected?.summer);
    expect(expected?.names).toContain(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});

type ClosedReason = Extract<MarketStatus, { open: false }>["reason"];
type Expected = { open: true } | { open: false; reason: ClosedReason };

describe("MarketHoursChecker in nse mode", () => {
  const checker = new MarketHoursChecker({ extraHolidays: ["2026-11-26"] });

  const rows: [string, number, Expected][] = [
    // Wednesday 2026-11-25, a normal trading day.
    ["09:14:59 on a weekday", ist("2026-11-25T09:14:59"), { open: false, reason: "before_open" }],
    [
      "09:14:59.999 on a weekday",
      ist("2026-11-25T09:14:59.999"),
      { open: false, reason: "before_open" },
    ],
    ["09:15:00 on a weekday", ist("2026-11-25T09:15:00"), { open: true }],
    ["12:00:00 on a weekday", ist("2026-11-25T12:00:00"), { open: true }],
    ["15:30:00 on a weekday", ist("2026-11-25T15:30:00"), { open: true }],
    ["15:30:00.999 on a weekday", ist("2026-11-25T15:30:00.999"), { open: true }],
    ["15:30:01 on a weekday", ist("2026-11-25T15:30:01"), { open: false, reason: "after_close" }],
    ["00:00:00 on a weekday", ist("2026-11-25T00:00:00"), { open: false, reason: "before_open" }],
    ["23:59:59 on a weekday", ist("2026-11-25T23:59:59"), { open: false, reason: "after_close" }],
    // Saturday and Sunday, in session hours.
    ["a Saturday at noon", ist("2026-11-28T12:00:00"), { open: false, reason: "weekend" }],
    ["a Sunday at noon", ist("2026-11-29T12:00:00"), { open: false, reason: "weekend" }],
    // Guru Nanak Jayanti, on the shipped 2026 calendar (a Tuesday).
    ["an NSE holiday at noon", ist("2026-11-24T12:00:00"), { open: false, reason: "holiday" }],
    ["an NSE holiday at 09:15:00", ist("2026-11-24T09:15:00"), { open: false, reason: "holiday" }],
    [
      "a configured extra holiday at noon",
      ist("2026-11-26T12:00:00"),
      { open: false, reason: "holiday" },
    ],
    ["the day after the extra holiday at noon", ist("2026-11-27T12:00:00"), { open: true }],
    // The IST date differs from the UTC date: the IST one decides.
    [
      "Wed 04:30 IST, still Tuesday (a holiday) in UTC",
      Date.parse("2026-11-24T23:00:00Z"),
      { open: false, reason: "before_open" },
    ],
    [
      "Sat 01:30 IST, still Friday in UTC",
      Date.parse("2026-11-27T20:00:00Z"),
      { open: false, reason: "weekend" },
    ],
    [
      "Mon 03:30 IST, still Sunday in UTC",
      Date.parse("2026-11-29T22:00:00Z"),
      { open: false, reason: "before_open" },
    ],
    ["Mon 09:30 IST, 04:00 UTC", Date.parse("2026-11-30T04:00:00Z"), { open: true }],
  ];
  const table = rows.map(([when, at, expected]) => {
    const outcome = expected.open ? "open" : `closed (${expected.reason})`;
    return [when, outcome, at, expected] as const;
  });

  it.each(table)("at %s it is %s", (_when, _outcome, at, expected) => {
    const status = checker.status(at);
    expect(status).toMatchObject(expected);
    expect(checker.isMarketOpen(at)).toBe(expected.open);
  });

  it("says why it is closed in the detail", () => {
    expect(checker.status(ist("2026-11-24T12:00:00"))).toEqual({
      open: false,
      reason: "holiday",
      detail: "2026-11-24 is an exchange holiday (Prakash Gurpurb Sri Guru Nanak Dev)",
    });
    expect(checker.status(ist("2026-11-26T12:00:00"))).toMatchObject({
      detail: "2026-11-26 is an exchange holiday (extra holiday)",
    });
    expect(checker.status(ist("2026-11-28T12:00:00"))).toMatchObject({
      detail: "2026-11-28 is a weekend",
    });
  });

  it("closes on every date of the shipped 2026 calendar", () => {
    for (const holiday of NSE_HOLIDAYS_2026) {
      const status = checker.status(ist(`${holiday.date}T12:00:00`));
      expect(status.open, `${holiday.date} ${holiday.name}`).toBe(false);
    }
  });

  it("reads the time from its clock when given no instant", () => {
    const clock = new FakeClock(ist("2026-11-25T09:14:59"));
    const clocked = new MarketHoursChecker({ clock });
    expect(clocked.isMarketOpen()).toBe(false);
    clock.advance(1000);
    expect(clocked.isMarketOpen()).toBe(true);
    expect(clocked.status()).toEqual({ open: true });
  });

  it("replaces the shipped calendar when given holidays", () => {
    const custom = new MarketHoursChecker({ holidays: ["2026-11-25"] });
    expect(custom.status(ist("2026-11-24T12:00:00"))).toEqual({ open: true });
    expect(custom.status(ist("2026-11-25T12:00:00"))).toEqual({
      open: false,
      reason: "holiday",
      detail: "2026-11-25 is an exchange holiday",
    });
  });

  it.each(["2026-1-5", "26-11-2026", "2026/11/25", "tomorrow", "2026-02-30", "2026-13-01"])(
    "rejects the malformed holiday date %s",
    (date) => {
      expect(() => new MarketHoursChecker({ extraHolidays: [date] })).toThrow(date);
    },
  );
});

describe("MarketHoursChecker in always_open mode", () => {
  const checker = new MarketHoursChecker({ mode: "always_open" });

  it.each([
    ["before the session", ist("2026-11-25T03:00:00")],
    ["after the session", ist("2026-11-25T22:00:00")],
    ["on a Sunday", ist("2026-11-29T12:00:00")],
    ["on an NSE holiday", ist("2026-11-24T12:00:00")],
  ])("is open %s", (_label, at) => {
    expect(checker.status(at)).toEqual({ open: true });
    expect(checker.isMarketOpen(at)).toBe(true);
  });
});

/** The calendar of the tests below: dates and names made up for the test, not the exchange's. */
const ANNOUNCED: MarketCalendar = {
  years: [],
  holidays: [{ date: "2026-12-01", name: "a closure announced in the file" }],
  sessions: [
    // A special session on a Saturday, regular hours.
    { date: "2026-11-28", open: "09:15", close: "15:30", name: "special Saturday session" },
    // An evening session on a shipped holiday (Guru Nanak Jayanti), as Muhurat trading is.
    { date: "2026-11-24", open: "18:00", close: "19:00", name: "evening session" },
    // A shortened weekday with a second, evening session.
    { date: "2026-11-25", open: "09:15", close: "12:00", name: "shortened session" },
    { date: "2026-11-25", open: "17:00", close: "18:00", name: "evening session" },
    // Just after midnight IST on a Sunday: still Saturday in UTC and in New York.
    { date: "2026-11-29", open: "00:00", close: "00:30", name: "midnight session" },
  ],
};

describe("MarketHoursChecker with announced sessions and holidays", () => {
  const checker = new MarketHoursChecker({
    calendar: ANNOUNCED,
    extraSessions: [
      // From the environment: a Sunday session.
      { date: "2026-12-06", open: "10:00", close: "11:00", name: "extra session" },
    ],
  });

  const rows: [string, number, Expected][] = [
    ["Saturday session, 09:14:59", ist("2026-11-28T09:14:59"), closed("before_open")],
    ["Saturday session, 09:15:00", ist("2026-11-28T09:15:00"), { open: true }],
    ["Saturday session, 15:30:00.999", ist("2026-11-28T15:30:00.999"), { open: true }],
    ["Saturday session, 15:30:01", ist("2026-11-28T15:30:01"), closed("after_close")],
    ["holiday with an evening session, noon", ist("2026-11-24T12:00:00"), closed("before_open")],
    ["holiday with an evening session, 18:00", ist("2026-11-24T18:00:00"), { open: true }],
    ["holiday with an evening session, 19:00:00", ist("2026-11-24T19:00:00"), { open: true }],
    [
      "holiday with an evening session, 19:00:01",
      ist("2026-11-24T19:00:01"),
      closed("after_close"),
    ],
    ["shortened weekday, 11:59:59", ist("2026-11-25T11:59:59"), { open: true }],
    ["shortened weekday, 14:00 (regular hours)", ist("2026-11-25T14:00:00"), closed("before_open")],
    ["shortened weekday, 17:30", ist("2026-11-25T17:30:00"), { open: true }],
    ["shortened weekday, 18:00:01", ist("2026-11-25T18:00:01"), closed("after_close")],
    ["Sunday 00:15 IST, Saturday in UTC", Date.parse("2026-11-28T18:45:00Z"), { open: true }],
    [
      "Sunday 00:31 IST, Saturday in UTC",
      Date.parse("2026-11-28T19:01:00Z"),
      closed("after_close"),
    ],
    ["Sunday noon after the midnight session", ist("2026-11-29T12:00:00"), closed("after_close")],
    ["environment's Sunday session, 10:30", ist("2026-12-06T10:30:00"), { open: true }],
    ["environment's Sunday session, 11:01", ist("2026-12-06T11:01:00"), closed("after_close")],
    ["the file's holiday, noon", ist("2026-12-01T12:00:00"), closed("holiday")],
    ["a Saturday without a session", ist("2026-12-05T12:00:00"), closed("weekend")],
    ["a regular weekday", ist("2026-11-27T12:00:00"), { open: true }],
  ];

  it.each(
    rows.map(
      ([when, at, expected]) => [when, expected.open ? "open" : "closed", at, expected] as const,
    ),
  )("%s: %s", (_when, _outcome, at, expected) => {
    expect(checker.status(at)).toMatchObject(expected);
    expect(checker.isMarketOpen(at)).toBe(expected.open);
  });

  it("names the session that opens next or closed last", () => {
    expect(checker.status(ist("2026-11-24T12:00:00"))).toEqual({
      open: false,
      reason: "before_open",
      detail: "the session opens at 18:00 IST (evening session)",
    });
    expect(checker.status(ist("2026-11-25T12:30:00"))).toMatchObject({
      detail: "the session opens at 17:00 IST (evening session)",
    });
    expect(checker.status(ist("2026-11-28T16:00:00"))).toMatchObject({
      detail: "the session closed at 15:30 IST (special Saturday session)",
    });
    expect(checker.status(ist("2026-12-01T12:00:00"))).toMatchObject({
      detail: "2026-12-01 is an exchange holiday (a closure announced in the file)",
    });
  });

  it("replaces the calendar at run time, and drops it on null", () => {
    const reloaded = new MarketHoursChecker({ calendar: ANNOUNCED });
    expect(reloaded.isMarketOpen(ist("2026-11-28T12:00:00"))).toBe(true);
    reloaded.replaceCalendar({
      years: [],
      holidays: [{ date: "2026-11-27", name: "announced later" }],
      sessions: [],
    });
    expect(reloaded.status(ist("2026-11-28T12:00:00"))).toMatchObject({ reason: "weekend" });
    expect(reloaded.status(ist("2026-11-27T12:00:00"))).toMatchObject({ reason: "holiday" });
    // The shipped calendar and the constructor's extras stay.
    expect(reloaded.status(ist("2026-11-24T12:00:00"))).toMatchObject({ reason: "holiday" });
    reloaded.replaceCalendar(null);
    expect(reloaded.isMarketOpen(ist("2026-11-27T12:00:00"))).toBe(true);
  });

  it("rejects a malformed session", () => {
    const session = { date: "2026-11-28", open: "15:30", close: "09:15", name: "backwards" };
    expect(() => new MarketHoursChecker({ extraSessions: [session] })).toThrow(/backwards/);
  });
});

describe("MarketHoursChecker coverage", () => {
  it.each([
    ["noon on 1 January 2026 IST", ist("2026-01-01T12:00:00"), true],
    ["the last millisecond of 2026 IST", ist("2026-12-31T23:59:59.999"), true],
    [
      "midnight on 1 January 2027 IST, still 2026 in UTC",
      Date.parse("2026-12-31T18:30:00Z"),
      false,
    ],
    ["a day in 2025", ist("2025-06-02T12:00:00"), false],
  ])("covers %s with the shipped calendar: %s", (_when, at, covered) => {
    expect(new MarketHoursChecker().coverage(at)).toEqual({
      covered,
      lastCoveredDate: "2026-12-31",
    });
  });

  it("covers the years a calendar lists, until it is replaced", () => {
    const checker = new MarketHoursChecker();
    const in2027 = ist("2027-03-01T12:00:00");
    checker.replaceCalendar({ years: [2027], holidays: [], sessions: [] });
    expect(checker.coverage(in2027)).toEqual({ covered: true, lastCoveredDate: "2027-12-31" });
    // A holiday or a session in a year does not make the year known.
    checker.replaceCalendar({
      years: [],
      holidays: [{ date: "2027-01-26", name: "Republic Day" }],
      sessions: [{ date: "2027-02-06", open: "09:15", close: "15:30", name: "special" }],
    });
    expect(checker.coverage(in2027)).toEqual({ covered: false, lastCoveredDate: "2026-12-31" });
  });

  it("reads the time from its clock, counts a replaced calendar's years, and is moot when always open", () => {
    const clock = new FakeClock(ist("2027-01-04T10:00:00"));
    expect(new MarketHoursChecker({ clock }).coverage().covered).toBe(false);
    expect(new MarketHoursChecker({ clock, holidays: ["2027-01-26"] }).coverage()).toEqual({
      covered: true,
      lastCoveredDate: "2027-12-31",
    });
    expect(new MarketHoursChecker({ clock, holidays: [] }).coverage()).toEqual({
      covered: false,
      lastCoveredDate: null,
    });
    expect(new MarketHoursChecker({ clock, mode: "always_open" }).coverage().covered).toBe(true);
  });
});

describe("MarketHoursChecker properties", () => {
  const DAY_MS = 86_400_000;
  const FROM = ist("2026-01-01T00:00:00");
  const TO = ist("2028-12-31T23:59:59.999");
  const instant = fc.integer({ min: FROM, max: TO });
  const istDate = (at: number) => new Date(at + 19_800_000).toISOString().slice(0, 10);
  const istSeconds = (at: number) => Math.floor(((at + 19_800_000) % DAY_MS) / 1000);
  const minute = fc.integer({ min: 0, max: 23 * 60 + 59 });
  const hhmm = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
  const session = (date: string) =>
    fc
      .tuple(minute, minute)
      .filter(([a, b]) => a !== b)
      .map(
        ([a, b]): MarketSession => ({
          date,
          open: hhmm(Math.min(a, b)),
          close: hhmm(Math.max(a, b)),
          name: "generated",
        }),
      );

  it("opens exactly within the date's sessions, whatever the weekday or holiday", () => {
    fc.assert(
      fc.property(
        instant.chain((at) =>
          fc.tuple(
            fc.constant(at),
            fc.array(session(istDate(at)), { minLength: 1, maxLength: 3 }),
            fc.boolean(),
          ),
        ),
        ([at, sessions, holiday]) => {
          const date = istDate(at);
          const checker = new MarketHoursChecker({
            extraSessions: sessions,
            extraHolidays: holiday ? [date] : [],
          });
          const seconds = istSeconds(at);
          const within = sessions.some((s) => {
            const open = Number(s.open.slice(0, 2)) * 3600 + Number(s.open.slice(3)) * 60;
            const close = Number(s.close.slice(0, 2)) * 3600 + Number(s.close.slice(3)) * 60;
            return seconds >= open && seconds <= close;
          });
          expect(
            checker.isMarketOpen(at),
            `${new Date(at).toISOString()} ${JSON.stringify(sessions)}`,
          ).toBe(within);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("changes nothing on any other date than the one a session or holiday is on", () => {
    const plain = new MarketHoursChecker();
    fc.assert(
      fc.property(instant, instant, fc.boolean(), (at, other, asHoliday) => {
        const date = istDate(other);
        fc.pre(date !== istDate(at));
        const changed = new MarketHoursChecker({
          calendar: {
            years: [],
            holidays: asHoliday ? [{ date, name: "generated" }] : [],
            sessions: asHoliday ? [] : [{ date, open: "00:00", close: "23:59", name: "generated" }],
          },
        });
        expect(changed.status(at)).toEqual(plain.status(at));
      }),
      { numRuns: 500 },
    );
  });

  it("covers an instant exactly when its IST year is shipped or listed", () => {
    fc.assert(
      fc.property(instant, fc.subarray([2026, 2027, 2028]), (at, years) => {
        const checker = new MarketHoursChecker({ calendar: { years, holidays: [], sessions: [] } });
        const year = Number(istDate(at).slice(0, 4));
        expect(checker.coverage(at).covered).toBe(year === 2026 || years.includes(year));
      }),
      { numRuns: 500 },
    );
  });
});

function closed(reason: ClosedReason): Expected {
  return { open: false, reason };
}
