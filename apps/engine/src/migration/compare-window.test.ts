import { describe, expect, it } from "vitest";
import { parseWindow } from "./compare-window.js";
import { MigrationUsageError } from "./migration-errors.js";

const NOW = Date.parse("2026-11-23T10:00:00Z");

describe("parseWindow", () => {
  it.each([
    [{}, "2026-11-23T09:00:00.000Z", "2026-11-23T10:00:00.000Z"],
    [{ since: "15m" }, "2026-11-23T09:45:00.000Z", "2026-11-23T10:00:00.000Z"],
    [
      { since: "2h", to: "2026-11-23T08:00:00+05:30" },
      "2026-11-23T00:30:00.000Z",
      "2026-11-23T02:30:00.000Z",
    ],
    [{ from: "2026-11-23T09:59:00Z" }, "2026-11-23T09:59:00.000Z", "2026-11-23T10:00:00.000Z"],
  ])("reads %j", (options, from, to) => {
    const window = parseWindow(options, NOW);
    expect(new Date(window.fromMs).toISOString()).toBe(from);
    expect(new Date(window.toMs).toISOString()).toBe(to);
  });

  it.each([
    [{ since: "soon" }, "--since: expected a duration"],
    [{ from: "2026-11-23T09:00:00" }, "--from: expected an ISO-8601 time with an offset"],
    [{ from: "2026-11-23T09:00:00Z", since: "1h" }, "give --from or --since, not both"],
    [{ from: "2026-11-23T11:00:00Z" }, "the window is empty"],
  ])("refuses %j", (options, message) => {
    expect(() => parseWindow(options, NOW)).toThrow(MigrationUsageError);
    expect(() => parseWindow(options, NOW)).toThrow(message);
  });
});
