import { silentLogger } from "@engine/core";
import { afterEach, describe, expect, it } from "vitest";
import { InstanceLease } from "./instance-lease.js";

const leases: InstanceLease[] = [];

afterEach(async () => {
  await Promise.all(leases.splice(0).map((lease) => lease.stop()));
});

/** A lease on a clock the test moves, whose renewals succeed until `failing` is set. */
async function leaseOn(leaseMs: number) {
  const clock = { now: 0, failing: false };
  const lease = new InstanceLease({
    journal: {
      renewLease: async () => {
        if (clock.failing) throw new Error("database unreachable");
        return { lapsed: false };
      },
      retire: async () => {},
    },
    leaseMs,
    logger: silentLogger,
    now: () => clock.now,
  });
  leases.push(lease);
  await lease.start();
  return { lease, clock };
}

describe("InstanceLease", () => {
  it("answers aborted as soon as it is read after the lease ran out, with no timer run in between (a frozen process)", async () => {
    const { lease, clock } = await leaseOn(60_000);
    const signal = lease.abortSignal;
    expect(signal.aborted).toBe(false);
    // The process was frozen past two thirds of the lease: no interval has run since.
    clock.now += 40_001;
    expect(signal.aborted).toBe(true);
    expect(lease.healthy()).toBe(false);
  });

  it("keeps a withdrawn signal aborted after a renewal, and hands out a fresh one", async () => {
    const { lease, clock } = await leaseOn(60_000);
    const before = lease.abortSignal;
    clock.now += 40_001;
    expect(before.aborted).toBe(true);
    await lease.renew();
    expect(before.aborted).toBe(true);
    expect(lease.abortSignal).not.toBe(before);
    expect(lease.abortSignal.aborted).toBe(false);
  });

  it("does not abort while renewals fail within two thirds of the lease", async () => {
    const { lease, clock } = await leaseOn(60_000);
    clock.failing = true;
    await lease.renew();
    clock.now += 39_000;
    expect(lease.abortSignal.aborted).toBe(false);
    clock.now += 1_001;
    expect(lease.abortSignal.aborted).toBe(true);
  });
});
