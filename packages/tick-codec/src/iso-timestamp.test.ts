import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isOffsetTimestamp } from "./iso-timestamp.js";

/** What @engine/core's `TimestampSchema` is, and what the scanner must agree with. */
const TimestampSchema = z.iso.datetime({ offset: true });
const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const schemaAccepts = (text: string) => TimestampSchema.safeParse(text).success;

/** Checks `text` inside a larger buffer, as the scanner does: bytes on both sides of the window. */
function inWindow(text: string, before: string, after: string): boolean {
  return isOffsetTimestamp(
    ascii(before + text + after),
    before.length,
    before.length + text.length,
  );
}

describe("isOffsetTimestamp", () => {
  it.each([
    ["2026-11-23T09:15:00Z", true],
    ["2026-11-23T09:15:00.123456+05:30", true],
    ["2024-02-29T00:00:00-23:59", true],
    ["2026-11-23T09:15:00.123", false],
    ["2026-11-23T09:15:00", false],
    ["2026-02-29T09:15:00Z", false],
    ["1900-02-29T09:15:00Z", false],
    ["2026-11-23T09:15:00Z ", false],
    ["2026-11-23T09:15:00+05:30Z", false],
  ])("reads %s as the schema does (%s)", (text, valid) => {
    expect(schemaAccepts(text)).toBe(valid);
    expect(isOffsetTimestamp(ascii(text), 0, text.length)).toBe(valid);
    expect(inWindow(text, '"timestamp":"', '","x":1}')).toBe(valid);
  });

  it("never reads past the end of the bytes", () => {
    const text = "2026-11-23T09:15:00Z";
    expect(isOffsetTimestamp(ascii(text), 0, text.length + 1)).toBe(false);
    expect(isOffsetTimestamp(ascii(text.slice(0, -1)), 0, text.length)).toBe(false);
  });

  it("accepts exactly what TimestampSchema accepts, in any window", () => {
    const alphabet = fc.constantFrom(..."0123456789-:.+TZtz ".split(""));
    const valid = fc
      .date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z") })
      .filter((date) => !Number.isNaN(date.getTime()))
      .map((date) => date.toISOString());
    const near = fc.oneof(
      valid,
      valid.map((text) => text.replace("Z", "+05:30")),
      valid.map((text) => text.slice(0, -1)),
      fc
        .tuple(valid, fc.array(fc.tuple(fc.nat(), alphabet), { minLength: 1, maxLength: 3 }))
        .map(([text, edits]) =>
          edits.reduce((out, [at, char]) => {
            const k = at % out.length;
            return out.slice(0, k) + char + out.slice(k + 1);
          }, text),
        ),
      fc.array(alphabet, { minLength: 18, maxLength: 40 }).map((chars) => chars.join("")),
    );
    fc.assert(
      fc.property(near, fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), (text, a, b) => {
        const before = a.replace(/[^\x20-\x7e]/g, "");
        const after = b.replace(/[^\x20-\x7e]/g, "");
        expect(inWindow(text, before, after), text).toBe(schemaAccepts(text));
      }),
      { numRuns: 5_000 },
    );
  });
});
