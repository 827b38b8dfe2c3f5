import { describe, expect, it } from "vitest";
import { formatIstTimestamp, istDatePrefix } from "./ist-time.js";

describe("IST formatting", () => {
  it.each([
    [Date.UTC(2026, 3, 1, 3, 45, 7), "2026-04-01 09:15:07", "260401"],
    // 18:30 UTC is already the next day in India.
    [Date.UTC(2025, 11, 31, 18, 30, 0), "2026-01-01 00:00:00", "260101"],
  ])("formats %d as %s", (epochMs, timestamp, prefix) => {
    expect(formatIstTimestamp(epochMs)).toBe(timestamp);
    expect(istDatePrefix(epochMs)).toBe(prefix);
  });
});
