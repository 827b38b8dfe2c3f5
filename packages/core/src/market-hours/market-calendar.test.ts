import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MarketCalendarSchema, parseSessionEntry } from "./market-calendar.js";

describe("parseSessionEntry", () => {
  it.each([
    ["2026-11-28 09:15-15:30", { open: "09:15", close: "15:30" }],
    ["  2026-11-08 18:00-19:15 ", { open: "18:00", close: "19:15" }],
    ["2026-11-08\t00:00-23:59", { open: "00:00", close: "23:59" }],
  ])("reads %j", (entry, times) => {
    expect(parseSessionEntry(entry, "extra session")).toEqual({
      date: entry.trim().slice(0, 10),
      ...times,
      name: "extra session",
    });
  });

  it.each([
    ["a missing time", "2026-11-28"],
    ["one time only", "2026-11-28 09:15"],
    ["a closing before the opening", "2026-11-28 15:30-09:15"],
    ["an empty session", "2026-11-28 09:15-09:15"],
    ["hour 24", "2026-11-28 09:15-24:00"],
    ["minute 60", "2026-11-28 09:60-10:00"],
    ["single-digit hours", "2026-11-28 9:15-15:30"],
    ["seconds", "2026-11-28 09:15:00-15:30:00"],
    ["no space after the date", "2026-11-2809:15-15:30"],
    ["30 February", "2026-02-30 09:15-15:30"],
    ["a day-first date", "28-11-2026 09:15-15:30"],
    ["a name after the times", "2026-11-28 09:15-15:30 budget"],
  ])("refuses %s", (_label, entry) => {
    expect(parseSessionEntry(entry, "extra session")).toBeNull();
  });

  it("reads every valid entry, and refuses one whose session does not close after it opens", () => {
    const two = (n: number) => String(n).padStart(2, "0");
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        (day, from, to) => {
          const date = day.toISOString().slice(0, 10);
          const open = `${two(Math.floor(from / 60))}:${two(from % 60)}`;
          const close = `${two(Math.floor(to / 60))}:${two(to % 60)}`;
          const parsed = parseSessionEntry(`${date} ${open}-${close}`, "s");
          expect(parsed).toEqual(from < to ? { date, open, close, name: "s" } : null);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("MarketCalendarSchema", () => {
  it("reads a calendar with its source, years, holidays and sessions", () => {
    const calendar = {
      source: "NSE circular (example)",
      years: [2027],
      holidays: [{ date: "2027-01-26", name: "Republic Day" }],
      sessions: [{ date: "2027-02-06", open: "09:15", close: "15:30", name: "special session" }],
    };
    expect(MarketCalendarSchema.parse(calendar)).toEqual(calendar);
    expect(MarketCalendarSchema.parse({})).toEqual({ years: [], holidays: [], sessions: [] });
  });

  it.each([
    ["a misspelt key", { holiday: [] }, "holiday"],
    ["an unknown key in a holiday", { holidays: [{ date: "2027-01-26", name: "R", x: 1 }] }, "x"],
    ["a holiday without a name", { holidays: [{ date: "2027-01-26" }] }, "name"],
    ["a blank name", { holidays: [{ date: "2027-01-26", name: " " }] }, "name"],
    ["a day-first date", { holidays: [{ date: "26-01-2027", name: "R" }] }, "date"],
    [
      "a backwards session",
      { sessions: [{ date: "2027-02-06", open: "15:30", close: "09:15", name: "s" }] },
      "close",
    ],
    ["a year as text", { years: ["2027"] }, "years"],
  ])("refuses %s, saying where", (_label, value, where) => {
    const parsed = MarketCalendarSchema.safeParse(value);
    expect(parsed.success).toBe(false);
    const paths = parsed.error?.issues.map((issue) =>
      [...issue.path, ...("keys" in issue ? issue.keys : [])].join("."),
    );
    expect(paths?.join(" ")).toContain(where);
  });
});
