import { describe, expect, it } from "vitest";
import { sql } from "../db/database.js";
import { embeddedDatabaseForFile } from "../test-support/service-testbed.js";
import { SharedOrderBudget } from "./shared-order-budget.js";

const opened = embeddedDatabaseForFile();

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
      () => new SharedOrderBudget({ database: opened(), maxWaitMs: 10_000, marginMs: 100 }),
    );
    const taken: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const answer = await instances[i % 2]?.take("burst", budget, "order", 5_000);
        expect(answer).toMatchObject({ taken: true });
        taken.push(performance.now());
        if (answer?.taken) await answer.release();
      }),
    );
    expect(taken).toHaveLength(12);
    expect(peak(taken, 1_000)).toBeLessThanOrEqual(4);
    // 12 at 4 a second: three windows, a little over two seconds.
    expect(Math.max(...taken) - Math.min(...taken)).toBeLessThan(4_000);
  }, 20_000);

  it("refuses when no room comes within the wait: the day's budget is spent", async () => {
    const budget = { perSecond: 100, perMinute: 100, perDay: 3 };
    const instance = new SharedOrderBudget({ database: opened(), maxWaitMs: 200, marginMs: 100 });
    for (let i = 0; i < 3; i++)
      expect(await instance.take("daily", budget, "order", 5_000)).toMatchObject({ taken: true });
    const refused = await instance.take("daily", budget, "order", 5_000);
    expect(refused).toMatchObject({ taken: false });
    if (!refused.taken) expect(refused.reason).toContain("3/day");
    // Another namespace has a budget of its own.
    expect(await instance.take("other", budget, "order", 5_000)).toMatchObject({ taken: true });
    // A cancel counts per second and minute only: the day's placements do not stop it.
    expect(await instance.take("daily", budget, "cancel", 5_000)).toMatchObject({ taken: true });
  });

  it("counts a half-hour window where the budget has one: placements and cancels alike", async () => {
    const budget = { perSecond: 100, perMinute: 100, perHalfHour: 3, perDay: 100 };
    const instance = new SharedOrderBudget({ database: opened(), maxWaitMs: 200, marginMs: 100 });
    for (const kind of ["order", "cancel", "order"] as const) {
      const answer = await instance.take("halfhour", budget, kind, 5_000);
      expect(answer).toMatchObject({ taken: true });
      if (answer.taken) await answer.release();
    }
    for (const kind of ["order", "cancel"] as const) {
      const refused = await instance.take("halfhour", budget, kind, 5_000);
      expect(refused).toMatchObject({ taken: false });
      if (!refused.taken) expect(refused.reason).toContain("3/30 min");
    }
    // Without the window, the same requests fit the minute's 100.
    const { perHalfHour: _, ...withoutWindow } = budget;
    expect(await instance.take("halfhour", withoutWindow, "order", 5_000)).toMatchObject({
      taken: true,
    });
  });

  it("counts a request from its slot until a second after its answer: one answered late holds the window", async () => {
    const budget = { perSecond: 1, perMinute: 100, perDay: 100 };
    const instances = [1, 2].map(
      () => new SharedOrderBudget({ database: opened(), maxWaitMs: 5_000, marginMs: 0 }),
    );
    const first = await instances[0]?.take("late", budget, "order", 5_000);
    if (!first?.taken) throw new Error("the first slot was refused");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const started = performance.now();
    const third = instances[1]?.take("late", budget, "order", 5_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const answeredAt = performance.now();
    await first.release();
    expect(await third).toMatchObject({ taken: true });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(answeredAt - started + 900);
  }, 20_000);

  it("counts a request whose end is never written (its process died) until its longest call, then a window more", async () => {
    const budget = { perSecond: 1, perMinute: 100, perDay: 100 };
    const instance = new SharedOrderBudget({ database: opened(), maxWaitMs: 5_000, marginMs: 0 });
    const started = performance.now();
    expect(await instance.take("dead", budget, "order", 1_000)).toMatchObject({ taken: true });
    expect(await instance.take("dead", budget, "order", 1_000)).toMatchObject({ taken: true });
    // Never released: free a second after its call could have ended at the latest.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(performance.now() - started).toBeLessThan(3_500);
  }, 20_000);

  it("counts a request never ended by an instance whose lease ran out only until its lease's end", async () => {
    const budget = { perSecond: 1, perMinute: 100, perDay: 100 };
    const database = opened();
    await database.rows(
      sql`insert into engine_instances (instance_id, host, pid, lease_until)
          values ('killed', 'host-k', 1, clock_timestamp() + interval '500 milliseconds')`,
    );
    const killed = new SharedOrderBudget({
      database,
      instanceId: "killed",
      maxWaitMs: 5_000,
      marginMs: 0,
    });
    const alive = new SharedOrderBudget({ database, maxWaitMs: 5_000, marginMs: 0 });
    const started = performance.now();
    // A request whose call may run a minute, in flight when its process died (never released).
    expect(await killed.take("killed", budget, "order", 60_000)).toMatchObject({ taken: true });
    expect(await alive.take("killed", budget, "order", 1_000)).toMatchObject({ taken: true });
    // Free a second after the lease ran out, not a second after its minute.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(performance.now() - started).toBeLessThan(3_500);
  }, 20_000);

  it("does not queue a cancel behind placements waiting for room: it takes the next free slot", async () => {
    const budget = { perSecond: 1, perMinute: 100, perDay: 100 };
    const instance = new SharedOrderBudget({ database: opened(), maxWaitMs: 10_000, marginMs: 0 });
    const done: string[] = [];
    const take = async (name: string, kind: "order" | "cancel") => {
      const answer = await instance.take("cancels", budget, kind, 1_000);
      expect(answer).toMatchObject({ taken: true });
      done.push(name);
      if (answer.taken) await answer.release();
    };
    const placements = [
      take("order 1", "order"),
      take("order 2", "order"),
      take("order 3", "order"),
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));
    await Promise.all([...placements, take("cancel", "cancel")]);
    // One a second: the cancel, asked for after three placements, is not the last to go.
    expect(done.indexOf("cancel")).toBeLessThan(3);
    expect(done).toHaveLength(4);
  }, 20_000);
});
