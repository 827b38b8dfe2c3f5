import { describe, expect, it } from "vitest";
import { FakeClock } from "../testing/fake-clock.js";
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
      detail: "2026-11-24 is an exchange holiday",
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
    expect(custom.status(ist("2026-11-25T12:00:00"))).toMatchObject({ reason: "holiday" });
  });

  it.each(["2026-1-5", "26-11-2026", "2026/11/25", "tomorrow"])(
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
