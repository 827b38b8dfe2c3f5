import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../db/database.js";
import { openEmbeddedDatabase } from "../test-support/service-testbed.js";
import { SharedOrderBudget } from "./shared-order-budget.js";

let database: DatabaseHandle;

beforeAll(async () => {
  database = await openEmbeddedDatabase();
}, 60_000);

afterAll(async () => {
  await database.close();
});

/** The most of `times` (ms) inside any window of `windowMs`. */
function peak(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (const [index, start] of sorted.entries()) {
    most = Math.max(most, sorted.filter((t, i) => i >= index && t < start + windowMs).length);
  }
  return most;
}

describe("SharedOrderBudget", () => {
  it("lets two instances together take at most the budget in any second, and every order through in time", async () => {
    const budget = { perSecond: 4, perMinute: 1_000, perDay: 10_000 };
    const instances = [1, 2].map(
      () => new SharedOrderBudget({ database, maxWaitMs: 10_000, marginMs: 100 }),
    );
    const taken: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const answer = await instances[i % 2]?.take("burst", budget);
        expect(answer).toEqual({ taken: true });
        taken.push(performance.now());
      }),
    );
    expect(taken).toHaveLength(12);
    expect(peak(taken, 1_000)).toBeLessThanOrEqual(4);
    // 12 at 4 a second: three windows, a little over two seconds.
    expect(Math.max(...taken) - Math.min(...taken)).toBeLessThan(4_000);
  }, 20_000);

  it("refuses when no room comes within the wait: the day's budget is spent", async () => {
    const budget = { perSecond: 100, perMinute: 100, perDay: 3 };
    const instance = new SharedOrderBudget({ database, maxWaitMs: 200, marginMs: 100 });
    for (let i = 0; i < 3; i++)
      expect(await instance.take("daily", budget)).toEqual({ taken: true });
    const refused = await instance.take("daily", budget);
    expect(refused).toMatchObject({ taken: false });
    if (!refused.taken) expect(refused.reason).toContain("3/day");
    // Another namespace has a budget of its own.
    expect(await instance.take("other", budget)).toEqual({ taken: true });
  });
});
