import { describe, expect, it } from "vitest";
import { FaultInjector } from "./fault-injector.js";

describe("FaultInjector", () => {
  it("fires for the next N eligible requests, then stops", () => {
    const faults = new FaultInjector(() => 0.99);
    faults.set({ orderSystemDown: { next: 2 } });
    expect([1, 2, 3].map(() => faults.orderSystemDown(false) !== undefined)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("fires on every request when neither next nor probability is given", () => {
    const faults = new FaultInjector(() => 0.99);
    faults.set({ timeoutAfterAccept: { mode: "destroy" } });
    expect(faults.timeoutAfterAccept()).toMatchObject({ mode: "destroy" });
    expect(faults.timeoutAfterAccept()).toMatchObject({ mode: "destroy" });
  });

  it("draws probabilities from the injected source", () => {
    const draws = [0.05, 0.5];
    const faults = new FaultInjector(() => draws.shift() ?? 1);
    faults.set({ tooManyRequests: { probability: 0.1 } });
    expect(faults.tooManyRequests(false)).toBeDefined();
    expect(faults.tooManyRequests(false)).toBeUndefined();
  });

  it("never mutates the caller's settings", () => {
    const faults = new FaultInjector(() => 0);
    const settings = { tooManyRequests: { next: 1 } };
    faults.set(settings);
    faults.tooManyRequests(false);
    expect(settings.tooManyRequests.next).toBe(1);
  });

  it("fires an after-create outage only once an order was created, and counts it down there", () => {
    const faults = new FaultInjector(() => 0.99);
    faults.set({ orderSystemDown: { next: 1, afterCreate: true } });
    expect(faults.orderSystemDown(false)).toBeUndefined();
    expect(faults.orderSystemDown(true)).toMatchObject({ afterCreate: true });
    expect(faults.orderSystemDown(true)).toBeUndefined();
  });

  it("returns the order-book lag to the constructed value on null and on clear", () => {
    const faults = new FaultInjector(() => 0, 300);
    expect(faults.orderBookLagMs).toBe(300);
    faults.set({ orderBookLagMs: 1_200 });
    expect(faults.orderBookLagMs).toBe(1_200);
    faults.set({ orderBookLagMs: null });
    expect(faults.orderBookLagMs).toBe(300);
    faults.set({ orderBookLagMs: 0 });
    faults.clear();
    expect(faults.snapshot()).toMatchObject({ orderBookLagMs: 300, latencyMs: 0 });
  });

  it("limits placement-only faults to placements", () => {
    const faults = new FaultInjector(() => 0);
    faults.set({ unexpectedContentType: { placementsOnly: true } });
    expect(faults.unexpectedContentType(false)).toBe(false);
    expect(faults.unexpectedContentType(true)).toBe(true);
  });
});
