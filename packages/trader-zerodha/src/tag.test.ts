import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { orderTag } from "./tag.js";

/** How versions before the Trader contract v2 made the tag: it must not change. */
function previousOrderTag(signalId: string): string {
  const digest = createHash("sha256").update(`zerodha:${signalId}`).digest("hex");
  return `e${digest.slice(0, 19)}`;
}

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

  it("is the tag earlier versions gave, so their orders are still found", () => {
    expect(orderTag("0193a2c4-7f10-7c3e-9b8a-2f6d1e5a9c01")).toBe(
      previousOrderTag("0193a2c4-7f10-7c3e-9b8a-2f6d1e5a9c01"),
    );
    fc.assert(fc.property(fc.string(), (id) => orderTag(id) === previousOrderTag(id)));
  });

  it("differs between signals", () => {
    const tags = new Set(Array.from({ length: 10_000 }, (_, i) => orderTag(`signal-${i}`)));
    expect(tags.size).toBe(10_000);
  });
});
