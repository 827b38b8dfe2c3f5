import { describe, expect } from "vitest";
import { putStrategy } from "./test-support/database.js";
import { FILE_SCOPE, inProcessTest } from "./test-support/fixtures.js";
import { readLiveRecord } from "./test-support/live-standin.js";
import { validatedSignal } from "./test-support/messages.js";
import { executionRows, resultsOf, signalRow, sleep } from "./test-support/probes.js";
import { sendSignals } from "./test-support/signal-stream.js";

const TTL_MS = 500;

const it = inProcessTest
  .extend("options", FILE_SCOPE, {
    label: "ttl",
    env: { STRATEGY_CONFIG_TTL_MS: String(TTL_MS) },
    price: 1200,
  })
  /** Sends a signal and waits for its results on `expected`; then checks no other namespace got one. */
  .extend(
    "routeOf",
    FILE_SCOPE,
    ({ bench: { db, producer, recorder }, token, site: { signalTopic }, recordFile }) =>
      async (strategyId: string, expected: string[]): Promise<string[]> => {
        const signal = validatedSignal({ strategyId, instrumentToken: token });
        await sendSignals(producer, signalTopic, [signal]);
        await recorder.waitFor(
          () => expected.every((ns) => resultsOf(recorder, signal.id, ns).length >= 1),
          30_000,
          `results of ${signal.id} on ${expected.join(", ")}`,
        );
        // The results of one signal are published together; a stray namespace would show up by now.
        await sleep(1_000);
        const got = ["paper", "livesim"].filter(
          (ns) => resultsOf(recorder, signal.id, ns).length > 0,
        );
        for (const ns of got) expect(resultsOf(recorder, signal.id, ns)).toHaveLength(1);
        expect((await signalRow(db, signal.id))?.targets).toEqual(got);
        expect((await executionRows(db, signal.id)).map((row) => row.namespace).sort()).toEqual(
          [...got].sort(),
        );
        expect(readLiveRecord(recordFile).some((order) => order.signal_id === signal.id)).toBe(
          got.includes("livesim"),
        );
        return got;
      },
  );

describe("strategy configuration is re-read from PostgreSQL after its TTL, without a restart", () => {
  it("starts routing to the live namespace once zerodha_trading_enabled is set, and stops once it is cleared", async ({
    routeOf,
    bench: { db },
  }) => {
    await putStrategy(db, { id: "ttl_flip", zerodhaTradingEnabled: false });
    expect(await routeOf("ttl_flip", ["paper"])).toEqual(["paper"]);

    await db.query(
      "update strategy_configurations set zerodha_trading_enabled = true, updated_at = now() where id = $1",
      ["ttl_flip"],
    );
    // The cached configuration expires after the TTL: waiting it out is the behaviour under test.
    await sleep(TTL_MS + 300);
    expect(await routeOf("ttl_flip", ["paper", "livesim"])).toEqual(["paper", "livesim"]);

    await db.query(
      "update strategy_configurations set zerodha_trading_enabled = false, updated_at = now() where id = $1",
      ["ttl_flip"],
    );
    await sleep(TTL_MS + 300);
    expect(await routeOf("ttl_flip", ["paper"])).toEqual(["paper"]);
  });

  it("gives an inactive strategy no live namespace, even with zerodha_trading_enabled, until it is active again", async ({
    routeOf,
    bench: { db },
  }) => {
    await putStrategy(db, { id: "ttl_inactive", zerodhaTradingEnabled: true, isActive: false });
    expect(await routeOf("ttl_inactive", ["paper"])).toEqual(["paper"]);

    await putStrategy(db, { id: "ttl_inactive", zerodhaTradingEnabled: true, isActive: true });
    await sleep(TTL_MS + 300);
    expect(await routeOf("ttl_inactive", ["paper", "livesim"])).toEqual(["paper", "livesim"]);

    await putStrategy(db, { id: "ttl_inactive", zerodhaTradingEnabled: true, isActive: false });
    await sleep(TTL_MS + 300);
    expect(await routeOf("ttl_inactive", ["paper"])).toEqual(["paper"]);
  });
});
