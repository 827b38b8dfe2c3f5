import type { KiteEmulator } from "@engine/kite-emulator";
import { orderTag } from "@engine/trader-zerodha";
import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaKillOptions, zerodhaProcessTest } from "./test-support/fixtures.js";
import { eventually, sleep } from "./test-support/probes.js";
import {
  sendTicks,
  signalSeries,
  startStream,
  waitForAllCommitted,
} from "./test-support/signal-stream.js";
import { NSE_EQUITIES, type ZerodhaBench } from "./test-support/zerodha-harness.js";

const SIGNALS = 60;
const FINAL = new Set(["COMPLETE", "REJECTED", "CANCELLED"]);

const strategyId = "zd_crash";

// Orders stay open 4 s, and every answer takes 150 ms (below): a kill finds orders at every stage.
const options = zerodhaKillOptions("zdcrash", strategyId, 4_000);
const it = zerodhaProcessTest.extend("options", FILE_SCOPE, options);

const tokens = NSE_EQUITIES.slice(0, 6).map((row) => row.token);

/** Signals whose order_placed is out and whose order Kite has not finished. */
function openAndFollowed(emulator: KiteEmulator, bench: ZerodhaBench, ids: string[]): string[] {
  const openTags = new Set(
    emulator
      .orders()
      .filter((order) => !FINAL.has(order.status))
      .map((order) => order.tag),
  );
  return ids.filter((id) => {
    const outcome = bench.ledger.of(id);
    return (
      outcome.placed.length > 0 &&
      outcome.filled.length + outcome.failed.length === 0 &&
      openTags.has(orderTag(id))
    );
  });
}

/** Signals whose execution is claimed but unfinished in the journal while Kite holds their order. */
async function inFlightAtKite(emulator: KiteEmulator, bench: ZerodhaBench): Promise<string[]> {
  const rows = await bench.sql.query<{ signal_id: string }>(
    "select signal_id from engine_execution_journal where status = 'submitted' and namespace = 'zerodha'",
  );
  const tags = emulator.stats().ordersByTag;
  return rows.map((row) => row.signal_id).filter((id) => (tags[orderTag(id)] ?? 0) > 0);
}

describe("zerodha: the engine process killed with SIGKILL while orders are open at Kite", () => {
  it("gives every signal exactly one order at Kite, one order_placed and one end on zerodha after a restart", async ({
    emulator,
    bench,
    site: { groupId, signalTopic },
    spawnEngine,
    spawnReady,
  }) => {
    const ledger = bench.ledger;
    emulator.setFaults({ latencyMs: 150 });
    const { signals, ids } = signalSeries(strategyId, tokens, SIGNALS);

    const first = await spawnReady("zerodha-engine-1", tokens);

    const streaming = startStream(bench.producer, signalTopic, signals, {
      durationMs: 4_000,
      chunk: 6,
    });
    // Kill while the engine follows open orders, preferably also while a placement Kite took is
    // not journaled yet; bounded: after the deadline, open followed orders are enough.
    // Mid-stream: some signals ended, some orders open, some signals not even sent.
    await eventually(
      async () => ({
        ended: ledger.ended(ids),
        open: openAndFollowed(emulator, bench, ids).length,
      }),
      ({ ended, open }) => ended >= 3 && open >= 2,
      "signals ended and orders followed by the engine still open at Kite",
      60_000,
    );
    const preferBoth = Date.now() + 10_000;
    while (Date.now() < preferBoth) {
      if (
        (await inFlightAtKite(emulator, bench)).length > 0 &&
        openAndFollowed(emulator, bench, ids).length > 0
      )
        break;
      await sleep(20);
    }
    const killed = await first.stop("SIGKILL");
    expect(killed.signal).toBe("SIGKILL");
    const sentAtKill = streaming.sent;
    const inFlight = await inFlightAtKite(emulator, bench);
    const ordersAtKill = emulator.stats().placements;
    // What was published before the kill reaches the recorder; nothing new can come.
    await sleep(1_000);
    const openAtKill = openAndFollowed(emulator, bench, ids).length;
    const endedAtKill = ledger.ended(ids);
    // Orders Kite holds whose end the killed engine never published.
    const placedNotEnded = ids.filter((id) => {
      const outcome = ledger.of(id);
      return outcome.placed.length > 0 && outcome.filled.length + outcome.failed.length === 0;
    }).length;
    expect(placedNotEnded, "the kill caught no open order").toBeGreaterThan(0);
    expect(endedAtKill).toBeLessThan(SIGNALS);

    const second = await spawnEngine("zerodha-engine-2");
    await streaming.done;
    // Joining waits for the dead member's session (KAFKA_SESSION_TIMEOUT_MS, 6 s) to expire.
    await second.waitReady(90_000);
    await sendTicks(bench.producer, tokens);
    await ledger.waitForEnds(ids, 120_000);
    await waitForAllCommitted(bench.admin, groupId, signalTopic, 30_000);
    // Anything the restarted engine might still publish (a second end, a second order) would
    // come within this.
    await sleep(1_500);

    process.stdout.write(
      `zerodha-crash-recovery: killed with ${sentAtKill}/${SIGNALS} sent, ${endedAtKill} ended, ${ordersAtKill} orders at Kite, ${placedNotEnded} placed without an end (${openAtKill} still open at Kite), ${inFlight.length} in flight in the journal with an order at Kite\n`,
    );
    expect(ledger.problems(ids, emulator, { end: "filled" })).toEqual([]);
    expect(emulator.stats().placements).toBe(SIGNALS);
    const journal = await bench.sql.query<{ namespace: string; status: string; count: string }>(
      "select namespace, case when status in ('filled', 'rejected', 'cancelled', 'expired') then 'ended' else status end as status, count(*)::text as count from engine_execution_journal group by 1, 2 order by namespace",
    );
    expect(journal).toEqual([
      { namespace: "paper", status: "ended", count: String(SIGNALS) },
      { namespace: "zerodha", status: "ended", count: String(SIGNALS) },
    ]);
  });
});
