import { describe, expect } from "vitest";
import { FILE_SCOPE, inProcessTest } from "./test-support/fixtures.js";
import { readLiveRecord } from "./test-support/live-standin.js";
import { validatedSignal } from "./test-support/messages.js";
import { sendSignals } from "./test-support/signal-stream.js";

const it = inProcessTest.extend("options", FILE_SCOPE, {
  label: "slowlive",
  env: { LIVESIM_DELAY_MS: "1500", EXECUTION_TIMEOUT_MS: "300" },
  strategies: [{ id: "slow_live", zerodhaTradingEnabled: true }],
});

describe("a live broker slower than the execution timeout", () => {
  it("does not hold back paper, and reports the live order's real outcome, once", async ({
    recordFile,
    bench: { db, producer, recorder },
    site: { signalTopic },
  }) => {
    // No tick was seen: paper answers at once (NO_MARKET_PRICE) while the live broker takes 1.5 s.
    const signal = validatedSignal({ strategyId: "slow_live", instrumentToken: 424242 });
    await sendSignals(producer, signalTopic, [signal]);

    await recorder.waitForResults(signal.id, ["paper.orders.failed"], 20_000, "the paper result");
    expect(recorder.causedBy("livesim.orders.filled", signal.id)).toHaveLength(0);

    await recorder.waitForResults(
      signal.id,
      ["livesim.orders.filled"],
      20_000,
      "the live fill after the timeout",
    );
    // The timeout did not become a TRADER_UNAVAILABLE that the broker's fill contradicts.
    expect(recorder.causedBy("livesim.orders.failed", signal.id)).toHaveLength(0);
    expect(readLiveRecord(recordFile).filter((o) => o.signal_id === signal.id)).toHaveLength(1);
    const rows = await db.query<{ status: string; attempts: number }>(
      "select status, attempts from engine_execution_journal where signal_id = $1 and namespace = 'livesim'",
      [signal.id],
    );
    expect(rows).toEqual([{ status: "filled", attempts: 1 }]);
  });
});
