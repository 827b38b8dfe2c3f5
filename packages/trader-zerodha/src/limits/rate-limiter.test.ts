import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffDelay } from "./backoff.js";
import { DailyOrderCap } from "./daily-order-cap.js";
import { type Permit, RateLimiter } from "./rate-limiter.js";

afterEach(() => {
  vi.useRealTimers();
});

/** A limiter on fake time: `Date.now()` is what the fake timers move. */
function limiter(windows: { limit: number; windowMs: number }[], marginMs = 0): RateLimiter {
  vi.useFakeTimers({ now: 0 });
  return new RateLimiter({ windows, marginMs, now: () => Date.now() });
}

/** Acquires in order and records when each permit came (or null). */
function acquireAll(instance: RateLimiter, count: number, deadline?: number) {
  const granted: (number | null)[] = [];
  const permits: (Permit | null)[] = [];
  const done = Promise.all(
    Array.from({ length: count }, (_, i) =>
      instance.acquire({ deadline }).then((permit) => {
        granted[i] = permit === null ? null : Date.now();
        permits[i] = permit;
      }),
    ),
  );
  return { granted, permits, done };
}

describe("RateLimiter", () => {
  it("lets the limit through at once, then each slot one window after a request ended", async () => {
    const instance = limiter([{ limit: 3, windowMs: 1_000 }]);
    const { granted, permits } = acquireAll(instance, 5);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0, 0, 0]);
    // Answers come back at 40 ms: each request occupies the window until 1,040 ms.
    await vi.advanceTimersByTimeAsync(40);
    for (const permit of permits) permit?.release();
    await vi.advanceTimersByTimeAsync(999);
    expect(granted).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual([0, 0, 0, 1_040, 1_040]);
  });

  it("counts a request in flight until it ends, however long that takes", async () => {
    const instance = limiter([{ limit: 1, windowMs: 1_000 }]);
    const { granted, permits } = acquireAll(instance, 2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(granted).toEqual([0]);
    permits[0]?.release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(granted).toEqual([0, 6_000]);
  });

  it("honours every window at once, widened by the margin", async () => {
    const instance = limiter(
      [
        { limit: 2, windowMs: 1_000 },
        { limit: 3, windowMs: 10_000 },
      ],
      100,
    );
    const granted: number[] = [];
    for (let i = 0; i < 4; i++) {
      const pending = instance.acquire();
      await vi.runAllTimersAsync();
      (await pending)?.release();
      granted.push(Date.now());
    }
    expect(granted).toEqual([0, 0, 1_100, 10_100]);
  });

  it("gives up at the deadline, taking nothing, and serves the next caller", async () => {
    const instance = limiter([{ limit: 1, windowMs: 1_000 }]);
    (await instance.acquire())?.release();
    const late = instance.acquire({ deadline: 500 });
    const patient = instance.acquire();
    await vi.advanceTimersByTimeAsync(500);
    expect(await late).toBeNull();
    await vi.advanceTimersByTimeAsync(500);
    expect(await patient).not.toBeNull();
    expect(Date.now()).toBe(1_000);
  });

  it("gives up on abort", async () => {
    const instance = limiter([{ limit: 1, windowMs: 1_000 }]);
    await instance.acquire();
    const abort = new AbortController();
    const waiting = instance.acquire({ abort: abort.signal });
    abort.abort();
    expect(await waiting).toBeNull();
  });

  it("serves urgent callers before routine ones, each in order", async () => {
    const instance = limiter([{ limit: 1, windowMs: 1_000 }]);
    const first = await instance.acquire();
    const order: string[] = [];
    const take = (name: string, urgent: boolean) =>
      instance.acquire({ urgent }).then((permit) => {
        order.push(name);
        permit?.release();
      });
    const all = Promise.all([
      take("poll-1", false),
      take("poll-2", false),
      take("lookup-1", true),
      take("lookup-2", true),
    ]);
    first?.release();
    await vi.runAllTimersAsync();
    await all;
    expect(order).toEqual(["lookup-1", "lookup-2", "poll-1", "poll-2"]);
  });

  it("hands a cancelled permit's slot back at once: a request never sent occupies no window", async () => {
    const instance = limiter([{ limit: 1, windowMs: 1_000 }]);
    const first = await instance.acquire();
    const { granted } = acquireAll(instance, 1);
    await vi.advanceTimersByTimeAsync(10);
    expect(granted).toEqual([]);
    first?.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([10]);
    // A release after the cancel changes nothing.
    first?.release();
    expect(instance.inFlight).toBe(1);
  });

  it("holds requests back after a pause (a 429 that came anyway)", async () => {
    const instance = limiter([{ limit: 10, windowMs: 1_000 }]);
    instance.pauseUntil(700);
    const { granted } = acquireAll(instance, 1);
    await vi.advanceTimersByTimeAsync(699);
    expect(granted).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual([700]);
  });

  it("never lets the server see more than the limit in any window, whatever the latencies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 300 }),
            latency: fc.integer({ min: 0, max: 800 }),
          }),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        async (limit, requests) => {
          const instance = limiter([{ limit, windowMs: 1_000 }]);
          const spans: { sent: number; ended: number }[] = [];
          const all: Promise<void>[] = [];
          for (const { gap, latency } of requests) {
            await vi.advanceTimersByTimeAsync(gap);
            all.push(
              instance.acquire().then(async (permit) => {
                const sent = Date.now();
                await new Promise((resolve) => setTimeout(resolve, latency));
                spans.push({ sent, ended: Date.now() });
                permit?.release();
              }),
            );
          }
          await vi.runAllTimersAsync();
          await Promise.all(all);
          expect(spans).toHaveLength(requests.length);
          // Each request reached the server somewhere in [sent, ended]. The most that can share
          // a window (t - 1000, t] is the most spans that meet one; it peaks at some send time.
          for (const { sent: t } of spans) {
            const meeting = spans.filter((span) => span.sent <= t && span.ended > t - 1_000);
            expect(meeting.length).toBeLessThanOrEqual(limit);
          }
          vi.useRealTimers();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("DailyOrderCap", () => {
  it("allows the limit per IST day and starts again at IST midnight", () => {
    const cap = new DailyOrderCap(2);
    const day = Date.parse("2026-11-25T10:00:00Z");
    expect([cap.tryTake(day), cap.tryTake(day), cap.tryTake(day)]).toEqual([true, true, false]);
    // 18:29:59 UTC is still 23:59:59 IST; 18:30 UTC is the next IST day.
    expect(cap.tryTake(Date.parse("2026-11-25T18:29:59Z"))).toBe(false);
    expect(cap.tryTake(Date.parse("2026-11-25T18:30:00Z"))).toBe(true);
  });
});

describe("backoffDelay", () => {
  it("doubles up to the cap, with jitter between half and all of it", () => {
    expect(backoffDelay(0, 500, 8_000, () => 0)).toBe(250);
    expect(backoffDelay(0, 500, 8_000, () => 1)).toBe(500);
    expect(backoffDelay(3, 500, 8_000, () => 1)).toBe(4_000);
    expect(backoffDelay(10, 500, 8_000, () => 0.5)).toBe(6_000);
  });
});
