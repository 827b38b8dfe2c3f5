import { describe, expect, it } from "vitest";
import {
  istDate,
  kiteTimestampToEpoch,
  latestIstTimeAtOrBefore,
  nextIstTimeAfter,
} from "./ist-time.js";

describe(`IST arithmetic under TZ=${process.env.TZ}`, () => {
  it("runs in the zone the project asked for", () => {
    const offsets: Record<string, number> = {
      UTC: 0,
      "America/New_York": 300,
      "Asia/Kolkata": -330,
    };
    expect(new Date("2026-01-15T12:00:00Z").getTimezoneOffset()).toBe(
      offsets[process.env.TZ ?? ""],
    );
  });

  it("names the IST day of an instant", () => {
    expect(istDate(Date.parse("2026-11-25T18:29:59Z"))).toBe("2026-11-25");
    expect(istDate(Date.parse("2026-11-25T18:30:00Z"))).toBe("2026-11-26");
  });

  it("finds the latest 08:00 IST at or before an instant", () => {
    // 08:00 IST is 02:30 UTC.
    expect(latestIstTimeAtOrBefore(Date.parse("2026-11-25T05:00:00Z"), 8, 0)).toBe(
      Date.parse("2026-11-25T02:30:00Z"),
    );
    expect(latestIstTimeAtOrBefore(Date.parse("2026-11-25T02:30:00Z"), 8, 0)).toBe(
      Date.parse("2026-11-25T02:30:00Z"),
    );
    expect(latestIstTimeAtOrBefore(Date.parse("2026-11-25T02:29:59Z"), 8, 0)).toBe(
      Date.parse("2026-11-24T02:30:00Z"),
    );
    expect(latestIstTimeAtOrBefore(Date.parse("2026-11-25T20:00:00Z"), 8, 0)).toBe(
      Date.parse("2026-11-25T02:30:00Z"),
    );
  });

  it("finds the next 08:30 IST after an instant", () => {
    expect(nextIstTimeAfter(Date.parse("2026-11-25T01:00:00Z"), 8, 30)).toBe(
      Date.parse("2026-11-25T03:00:00Z"),
    );
    expect(nextIstTimeAfter(Date.parse("2026-11-25T03:00:00Z"), 8, 30)).toBe(
      Date.parse("2026-11-26T03:00:00Z"),
    );
  });

  it("reads Kite's IST timestamps, as strings and as the Dates the client makes of them", () => {
    const expected = Date.parse("2026-11-25T03:45:02Z");
    expect(kiteTimestampToEpoch("2026-11-25 09:15:02")).toBe(expected);
    // What kiteconnect does with the 19-character string: a Date in the host's zone.
    expect(kiteTimestampToEpoch(new Date("2026-11-25 09:15:02"))).toBe(expected);
    expect(kiteTimestampToEpoch("2026-11-25T09:15:02")).toBeNull();
    expect(kiteTimestampToEpoch(new Date(Number.NaN))).toBeNull();
    expect(kiteTimestampToEpoch(null)).toBeNull();
  });
});
