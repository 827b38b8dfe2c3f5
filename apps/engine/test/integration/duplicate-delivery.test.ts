import { describe, expect } from "vitest";
import { FILE_SCOPE, inProcessTest } from "./test-support/fixtures.js";
import { readLiveRecord } from "./test-support/live-standin.js";
import { asMessage, validatedSignal } from "./test-support/messages.js";
import { executionRows, sleep } from "./test-support/probes.js";

const strategyId = "dup_live";

const it = inProcessTest
  .extend("options", FILE_SCOPE, {
    label: "dup",
    strategies: [{ id: strategyId, zerodhaTradingEnabled: true }],
    price: 845.3,
  })
  .extend(
    "fills",
    FILE_SCOPE,
    ({ bench: { recorder } }) =>
      (namespace: string, signalId: string) =>
        recorder.causedBy(`${namespace}.orders.filled`, signalId),
  )
  /** One order at the broker, one journal row per namespace with one attempt, one event id per namespace. */
  .extend(
    "expectExecutedOnce",
    FILE_SCOPE,
    ({ bench: { db, recorder }, recordFile, fills }) =>
      async (signalId: string): Promise<void> => {
        expect(
          readLiveRecord(recordFile).filter((order) => order.signal_id === signalId),
        ).toHaveLength(1);
        const rows = await executionRows(db, signalId);
        expect(
          rows.map(({ namespace, attempts, status }) => ({ namespace, attempts, status })),
        ).toEqual([
          { namespace: "livesim", attempts: 1, status: "filled" },
          { namespace: "paper", attempts: 1, status: "filled" },
        ]);
        for (const namespace of ["paper", "livesim"]) {
          const copies = fills(namespace, signalId);
          expect(copies.length).toBeGreaterThanOrEqual(1);
          expect(new Set(copies.map((copy) => copy.json.id)).size).toBe(1);
          // The whole event is the stored one (the journal's jsonb may reorder keys, nothing more).
          for (const copy of copies.slice(1)) expect(copy.json).toEqual(copies[0]?.json);
          // Nothing else for this signal on the namespace: no failure, no second order.
          expect(recorder.causedBy(`${namespace}.orders.failed`, signalId)).toHaveLength(0);
          expect(recorder.causedBy(`${namespace}.orders.submitted`, signalId)).toHaveLength(0);
        }
      },
  );

describe("a validated signal delivered twice is executed once and its result republished unchanged", () => {
  it("republishes the stored results with the same event ids when a copy arrives after the first was handled", async ({
    fills,
    engine,
    token,
    expectExecutedOnce,
    bench: { producer, recorder },
    site: { namespace },
  }) => {
    const signal = validatedSignal({ strategyId, instrumentToken: token });
    const topic = `${namespace}.signals.validated`;
    await producer.send({ topic, messages: [asMessage(signal)] });
    await recorder.waitFor(
      () => fills("paper", signal.id).length === 1 && fills("livesim", signal.id).length === 1,
      30_000,
      "the first results",
    );
    const republishedBefore = (await engine.running.metrics.republished.get()).values.reduce(
      (sum, value) => sum + value.value,
      0,
    );

    await producer.send({ topic, messages: [asMessage(signal)] });
    await recorder.waitFor(
      () => fills("paper", signal.id).length === 2 && fills("livesim", signal.id).length === 2,
      30_000,
      "the results of the second copy",
    );

    await expectExecutedOnce(signal.id);
    const republishedAfter = (await engine.running.metrics.republished.get()).values.reduce(
      (sum, value) => sum + value.value,
      0,
    );
    expect(republishedAfter - republishedBefore).toBe(2);
  });

  it("executes once when both copies come in one send", async ({
    fills,
    token,
    expectExecutedOnce,
    bench: { producer, recorder },
    site: { namespace },
  }) => {
    const signal = validatedSignal({ strategyId, instrumentToken: token });
    await producer.send({
      topic: `${namespace}.signals.validated`,
      messages: [asMessage(signal), asMessage(signal)],
    });
    await recorder.waitFor(
      () => fills("paper", signal.id).length >= 1 && fills("livesim", signal.id).length >= 1,
      30_000,
      "results on both namespaces",
    );
    // If the copies were handled apart, the second one's republished results come now.
    await sleep(1_500);
    await expectExecutedOnce(signal.id);
  });

  it("executes each of several signals once when a batch repeats them all", async ({
    fills,
    token,
    expectExecutedOnce,
    bench: { producer, recorder },
    site: { namespace },
  }) => {
    const signals = [1, 2, 3].map(() => validatedSignal({ strategyId, instrumentToken: token }));
    const messages = signals.map(asMessage);
    await producer.send({
      topic: `${namespace}.signals.validated`,
      messages: [...messages, ...messages],
    });
    await recorder.waitFor(
      () =>
        signals.every(
          (signal) =>
            fills("paper", signal.id).length >= 1 && fills("livesim", signal.id).length >= 1,
        ),
      30_000,
      "results of every signal on both namespaces",
    );
    await sleep(1_500);
    for (const signal of signals) await expectExecutedOnce(signal.id);
  });
});
