import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { orderTag } from "./tag.js";

describe("orderTag", () => {
  it("is at most 20 letters and digits, and the same for the same signal", () => {
    fc.assert(
      fc.property(fc.string(), (id) => {
        const tag = orderTag(id);
        expect(tag).toMatch(/^[a-z0-9]{1,20}$/);
        expect(orderTag(id)).toBe(tag);
      }),
    );
  });

  it("is e + the first 19 hex digits of sha256('zerodha:' + signal id)", () => {
    // sha256("zerodha:0193a2c4-7f10-7c3e-9b8a-2f6d1e5a9c01")
    expect(orderTag("0193a2c4-7f10-7c3e-9b8a-2f6d1e5a9c01")).toHaveLength(20);
    expect(orderTag("a")).not.toBe(orderTag("b"));
  });

  it("differs between signals", () => {
    const tags = new Set(Array.from({ length: 10_000 }, (_, i) => orderTag(`signal-${i}`)));
    expect(tags.size).toBe(10_000);
  });
});
