import { describe, expect, it } from "vitest";
import { TickWarmup } from "./tick-warmup.js";

const settled = async (promise: Promise<void>) =>
  Promise.race([promise.then(() => true), new Promise((r) => setTimeout(() => r(false), 10))]);

describe("TickWarmup", () => {
  it("is done once every partition was read to where it ended at start", async () => {
    const warmup = new TickWarmup([
      { partition: 0, start: 10n, end: 20n },
      { partition: 1, start: 5n, end: 5n },
      { partition: 2, start: 0n, end: 3n },
    ]);
    expect(warmup.remaining).toBe(13n);
    warmup.read(0, "14");
    warmup.read(2, "2");
    expect(await settled(warmup.done)).toBe(false);
    expect(warmup.remaining).toBe(5n);
    warmup.read(1, "7");
    warmup.read(0, "25");
    expect(await settled(warmup.done)).toBe(true);
    expect(warmup.complete).toBe(true);
  });

  it("is done at once when there is nothing to read", async () => {
    const warmup = new TickWarmup([{ partition: 0, start: 4n, end: 4n }]);
    expect(warmup.complete).toBe(true);
    expect(await settled(warmup.done)).toBe(true);
    expect(await settled(new TickWarmup([]).done)).toBe(true);
  });
});
