import { describe, expect, it } from "vitest";
import { OrderRateLimiter } from "./order-rate-limiter.js";
import { SlidingWindow } from "./sliding-window.js";

describe("SlidingWindow", () => {
  it("counts events strictly within the last window", () => {
    const window = new SlidingWindow(1_000);
    window.add(0);
    window.add(500);
    expect(window.count(999)).toBe(2);
    expect(window.count(1_000)).toBe(1);
    expect(window.count(1_500)).toBe(0);
  });

  it("stays correct across compaction", () => {
    const window = new SlidingWindow(10);
    for (let t = 0; t < 5_000; t++) {
      window.add(t);
      expect(window.count(t)).toBe(Math.min(t + 1, 10));
    }
  });
});

describe("OrderRateLimiter", () => {
  it("admits 10 a second and 400 a minute", () => {
    const limiter = new OrderRateLimiter({ perSecond: 10, perMinute: 400 });
    let admitted = 0;
    for (let second = 0; second < 60; second++) {
      for (let i = 0; i < 12; i++) if (limiter.tryAcquire(second * 1_000 + i)) admitted++;
    }
    expect(admitted).toBe(400);
  });

  it("turns a limit off with 0", () => {
    const limiter = new OrderRateLimiter({ perSecond: 0, perMinute: 0 });
    for (let i = 0; i < 1_000; i++) expect(limiter.tryAcquire(0)).toBe(true);
  });
});
