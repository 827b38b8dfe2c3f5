import { FakeClock } from "@engine/core/testing";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import { baseEnv, startEngine, type TestEngine } from "./support/in-process-engine.js";
import { openProducer, openRecorder, type TopicRecorder, uniqueName } from "./support/kafka.js";
import { liveRecordFile, liveStandinEnv, readLiveRecord } from "./support/live-standin.js";
import { asMessage, type SignalInput, validatedSignal } from "./support/messages.js";
import {
  executionRows,
  primePrice,
  randomToken,
  resultsOf,
  resultTopics,
  sendOne,
  signalGroupOf,
  signalRow,
  sleep,
  waitForCommit,
} from "./support/probes.js";
import { Teardown } from "./support/teardown.js";

/** Wednesday 25 November 2026, 11:00 IST: a regular session. */
const SESSION_OPEN = "2026-11-25T05:30:00Z";

describe("NSE market hours on real Kafka and PostgreSQL", () => {
  const namespace = uniqueName("mkt");
  const liveOnlyNamespace = uniqueName("mktlive");
  const token = randomToken();
  const clock = new FakeClock(SESSION_OPEN);
  const teardown = new Teardown();
  const recordFile = liveRecordFile(teardown);
  let db: TestDatabase;
  let engine: TestEngine;
  let liveOnly: TestEngine;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await openTestDatabase(teardown);
    const env = { MARKET_HOURS_MODE: "nse", LOG_LEVEL: "error", ...liveStandinEnv(recordFile) };
    engine = await startEngine(teardown, baseEnv(db.url, namespace, env), { clock });
    // No paper, and a live namespace the test strategies do not enable: nothing to execute on.
    liveOnly = await startEngine(
      teardown,
      baseEnv(db.url, liveOnlyNamespace, { ...env, PAPER_TRADING_ENABLED: "false" }),
      { clock },
    );
    recorder = await openRecorder(teardown, resultTopics(["paper", "livesim"]));
    producer = await openProducer(teardown);
    await putStrategy(db, { id: "mkt_live", zerodhaTradingEnabled: true });
    await putStrategy(db, { id: "mkt_paper", zerodhaTradingEnabled: false });
    await primePrice(engine, producer, token, 99.5);
  });

  afterAll(() => teardown.run());

  /** Sends a signal to an engine and waits until the engine committed it (its effects are out). */
  async function handled(target: TestEngine, input: SignalInput) {
    const signal = validatedSignal({ instrumentToken: token, ...input });
    const sent = await sendOne(producer, target.running.topics.signals, asMessage(signal));
    await waitForCommit(signalGroupOf(target), target.running.topics.signals, sent);
    return signal;
  }

  it.each([
    ["on a Saturday", "2026-11-28T05:30:00Z", /weekend/],
    ["on an NSE holiday (Guru Nanak Jayanti, a Tuesday)", "2026-11-24T05:30:00Z", /holiday/],
    ["at 16:00 IST on a weekday, after the close", "2026-11-25T10:30:00Z", /15:30/],
    ["at 09:00 IST on a weekday, before the open", "2026-11-25T03:30:00Z", /09:15/],
  ])(
    "fails a signal %s with MARKET_CLOSED on every target namespace and executes nothing",
    async (_when, at, detail) => {
      clock.set(at);
      const signal = await handled(engine, { strategyId: "mkt_live" });
      await recorder.waitForResults(
        signal.id,
        ["paper.orders.failed", "livesim.orders.failed"],
        30_000,
        "MARKET_CLOSED on paper and livesim",
      );
      for (const ns of ["paper", "livesim"]) {
        const [failed] = recorder.causedBy(`${ns}.orders.failed`, signal.id);
        expect(failed?.json).toMatchObject({
          type: "order_failed",
          broker: ns,
          data: { error_code: "MARKET_CLOSED", order_id: "N/A", execution_mode: ns },
        });
        expect(String(failed?.json.data?.error_message)).toMatch(detail);
        expect(resultsOf(recorder, signal.id, ns)).toHaveLength(1);
      }
      expect(readLiveRecord(recordFile).filter((o) => o.signal_id === signal.id)).toEqual([]);
      expect(await signalRow(db, signal.id)).toMatchObject({
        disposition: "market_closed",
        targets: ["paper", "livesim"],
      });
      expect(
        (await executionRows(db, signal.id)).map((row) => [row.namespace, row.error_code]),
      ).toEqual([
        ["livesim", "MARKET_CLOSED"],
        ["paper", "MARKET_CLOSED"],
      ]);
    },
  );

  it("executes the same strategy's signal during the session (the clock, not the setup, closed the market)", async () => {
    clock.set(SESSION_OPEN);
    const signal = await handled(engine, { strategyId: "mkt_live" });
    await recorder.waitForResults(
      signal.id,
      ["paper.orders.filled", "livesim.orders.filled"],
      30_000,
      "fills on paper and livesim",
    );
    expect(readLiveRecord(recordFile).filter((o) => o.signal_id === signal.id)).toHaveLength(1);
    expect((await signalRow(db, signal.id))?.disposition).toBe("routed");
  });

  it("records a HOLD signal as hold and publishes nothing for it, open or closed", async () => {
    clock.set("2026-11-28T05:30:00Z");
    const closed = await handled(engine, { strategyId: "mkt_live", signalType: "HOLD" });
    clock.set(SESSION_OPEN);
    const open = await handled(engine, { strategyId: "mkt_live", signalType: "HOLD" });
    await sleep(1_500);
    for (const signal of [closed, open]) {
      expect(await signalRow(db, signal.id)).toMatchObject({ disposition: "hold", targets: [] });
      expect(await executionRows(db, signal.id)).toEqual([]);
      expect(resultsOf(recorder, signal.id, "paper")).toEqual([]);
      expect(resultsOf(recorder, signal.id, "livesim")).toEqual([]);
    }
  });

  it("records a signal with no target namespace as no_target and publishes nothing for it", async () => {
    clock.set(SESSION_OPEN);
    // Paper is disabled on this engine and the strategy does not enable the live namespace.
    const notEnabled = await handled(liveOnly, { strategyId: "mkt_paper" });
    const unknown = await handled(liveOnly, { strategyId: "mkt_unknown_strategy" });
    const inactive = "mkt_inactive";
    await putStrategy(db, { id: inactive, zerodhaTradingEnabled: true, isActive: false });
    const notActive = await handled(liveOnly, { strategyId: inactive });
    await sleep(1_500);
    for (const signal of [notEnabled, unknown, notActive]) {
      expect(await signalRow(db, signal.id)).toMatchObject({
        disposition: "no_target",
        targets: [],
      });
      expect(await executionRows(db, signal.id)).toEqual([]);
      expect(resultsOf(recorder, signal.id, "paper")).toEqual([]);
      expect(resultsOf(recorder, signal.id, "livesim")).toEqual([]);
    }
    expect(liveOnly.running.namespaces).toEqual(["livesim"]);
  });
});
