import type { SubmitResult } from "@engine/core";
import { describe, expect, it } from "vitest";
import {
  kinds,
  placementRequests,
  refOf,
  submit,
  todaysSignal,
  traderFixture,
} from "../../src/test-support/harness.js";

const { setup } = traderFixture();

describe("ZerodhaTrader: a burst is queued, not refused", () => {
  it("places a burst of 120 at Kite's pace with the default settings, never more than 10 in any second", async () => {
    const { emulator: emu, trader } = await setup();
    const signals = Array.from({ length: 120 }, (_, i) => todaysSignal({ id: `sig-burst-${i}` }));
    const started = Date.now();
    const results = await Promise.all(signals.map((signal) => submit(trader, signal)));
    expect(kinds(results)).toEqual({ placed: 120 });
    const stats = emu.stats();
    expect(stats.maxPlacementsInAnySecond).toBeLessThanOrEqual(10);
    expect(stats.rateLimited).toBe(0);
    expect(stats.placements).toBe(120);
    // Twelve windows of ten: it was paced, not sent at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(11_000);
  }, 60_000);

  it("refuses with RATE_LIMITED, unsent, what finds no slot within ZERODHA_MAX_QUEUE_MS", async () => {
    const { emulator: emu, trader } = await setup({
      ZERODHA_ORDERS_PER_SECOND: "1",
      ZERODHA_MAX_QUEUE_MS: "1500",
    });
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => submit(trader, todaysSignal({ id: `sig-slow-${i}` }))),
    );
    // The first at once, the second a second after the first was answered, no third by 1.5 s.
    expect(kinds(results)).toEqual({ placed: 2, "failed:RATE_LIMITED": 2 });
    const refused = results.find((result) => result.kind === "failed");
    expect(refused?.kind === "failed" && refused.payload.error_message).toMatch(
      /ZERODHA_MAX_QUEUE_MS.*nothing was sent/,
    );
    expect(placementRequests(emu)).toBe(2);
  });

  it("refuses orders past the daily cap with RATE_LIMITED, without sending them", async () => {
    const { emulator: emu, trader } = await setup({ ZERODHA_ORDERS_PER_DAY: "2" });
    const results: SubmitResult[] = [];
    for (let i = 0; i < 3; i++)
      results.push(await submit(trader, todaysSignal({ id: `day-${i}` })));
    expect(results.map((result) => result.kind)).toEqual(["placed", "placed", "failed"]);
    expect(results[2]).toMatchObject({ payload: { error_code: "RATE_LIMITED" } });
    expect(results[2]?.kind === "failed" && results[2].payload.error_message).toMatch(
      /daily order limit.*ZERODHA_ORDERS_PER_DAY=2.*nothing was sent/,
    );
    expect(placementRequests(emu)).toBe(2);
  });

  it("sends nothing when the engine aborts a placement waiting for its slot", async () => {
    const { emulator: emu, trader } = await setup({ ZERODHA_ORDERS_PER_SECOND: "1" });
    expect((await submit(trader, todaysSignal({ id: "sig-first" }))).kind).toBe("placed");
    const abort = new AbortController();
    const signal = todaysSignal({ id: "sig-withdrawn" });
    const waiting = submit(trader, signal, abort.signal);
    setTimeout(() => abort.abort(), 100);
    const result = await waiting;
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "TRADER_UNAVAILABLE" } });
    expect(result.kind === "failed" && result.payload.error_message).toMatch(/no order was sent/);
    expect(placementRequests(emu)).toBe(1);
    expect(await trader.queryOrder(refOf(signal))).toEqual({ kind: "absent" });
  });

  it("answers a placement waiting for its slot when the trader shuts down, sending nothing", async () => {
    const { emulator: emu, trader } = await setup({ ZERODHA_ORDERS_PER_SECOND: "1" });
    expect((await submit(trader, todaysSignal({ id: "sig-before-stop" }))).kind).toBe("placed");
    const waiting = submit(trader, todaysSignal({ id: "sig-during-stop" }));
    setTimeout(() => void trader.shutdown(), 100);
    expect(await waiting).toMatchObject({
      kind: "failed",
      payload: { error_code: "TRADER_UNAVAILABLE" },
    });
    expect(placementRequests(emu)).toBe(1);
  });
});
