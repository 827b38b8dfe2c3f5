import { createHash, randomBytes } from "node:crypto";
import { paperPlugin } from "@engine/trader-paper";
import { describe, expect } from "vitest";
import { FILE_SCOPE, inProcessTest } from "./test-support/fixtures.js";
import type { Recorded } from "./test-support/kafka.js";
import { validatedSignal } from "./test-support/messages.js";
import { httpGet, resultsOf } from "./test-support/probes.js";
import { sendSignals } from "./test-support/signal-stream.js";

/** Kafka's default message.max.bytes: what the broker of these tests takes. */
const BROKER_MAX_MESSAGE_BYTES = 1_048_588;

// Every dead letter is logged as a warning, the set-aside batch as an error: expected here.
const it = inProcessTest
  .extend("options", FILE_SCOPE, {
    label: "poison",
    namespaces: ["paper"],
    deadLetters: true,
    // Only so that where the signal consumer starts is not what this file tests.
    partitions: 3,
    plugins: [paperPlugin],
    env: { LOG_LEVEL: "fatal" },
    strategies: [{ id: "poison_strategy" }],
  })
  .extend(
    "letters",
    FILE_SCOPE,
    ({ bench, site }) =>
      () =>
        bench.recorder.messages.filter((m) => m.topic === `${site.signalTopic}.dlq`),
  )
  .extend(
    "letterAt",
    FILE_SCOPE,
    ({ letters }) =>
      (partition: number, offset: string): Recorded | undefined =>
        letters().find(
          (l) => l.json.original_partition === partition && l.json.original_offset === offset,
        ),
  )
  /** Sends a valid signal and waits for its paper result: consumption went on. */
  .extend("stillExecutes", FILE_SCOPE, ({ bench, site, token }) => async (): Promise<void> => {
    const signal = validatedSignal({ strategyId: "poison_strategy", instrumentToken: token });
    await sendSignals(bench.producer, site.signalTopic, [signal]);
    await bench.recorder.waitFor(
      () => resultsOf(bench.recorder, signal.id, "paper").length === 1,
      45_000,
      "the paper result of the valid signal sent after the bad ones",
    );
  });

describe("one bad message never stops consumption", () => {
  it("dead-letters a 900 KB value that is not JSON, cut to fit, with its size and hash, then executes the next signal", async ({
    bench,
    letterAt,
    stillExecutes,
    site: { signalTopic },
  }) => {
    // Not UTF-8 either: its letter carries it as base64, 1.2 MB whole.
    const value = Buffer.concat([Buffer.from("{not json "), randomBytes(900_000 - 10)]);
    const [sent] = await bench.producer.send({
      topic: signalTopic,
      messages: [{ key: "poison_strategy:900k", value }],
    });
    if (!sent?.baseOffset) throw new Error("no offset for the 900 KB message");
    await stillExecutes();
    await bench.recorder.waitFor(
      () => letterAt(sent.partition, sent.baseOffset ?? "") !== undefined,
      10_000,
      "the dead letter of the 900 KB value",
    );
    const letter = letterAt(sent.partition, sent.baseOffset);
    expect(letter?.key).toBe("poison_strategy:900k");
    expect(Buffer.byteLength(letter?.value ?? "")).toBeLessThan(BROKER_MAX_MESSAGE_BYTES);
    expect(letter?.json).toMatchObject({
      original_topic: signalTopic,
      payload_truncated: true,
      payload_bytes: 900_000,
      payload_sha256: createHash("sha256").update(value).digest("hex"),
    });
    expect(String(letter?.json.error)).toMatch(/utf-8/i);
    const kept = Buffer.from(String(letter?.json.payload_base64), "base64");
    expect(kept.length).toBeGreaterThan(500_000);
    expect(value.subarray(0, kept.length).equals(kept)).toBe(true);
  });

  it("dead-letters 3,000 malformed values fetched in one batch, then executes the next signal", async ({
    bench,
    letters,
    stillExecutes,
    site: { signalTopic },
  }) => {
    // One key, so they share a partition, are fetched together, and their letters share one too.
    const key = "poison_strategy:malformed";
    const values = Array.from(
      { length: 3_000 },
      (_, i) => `{"id": "malformed-${i}", "type": "validated_signal", "data": ${"[".repeat(240)}`,
    );
    const [sent] = await bench.producer.send({
      topic: signalTopic,
      messages: values.map((value) => ({ key, value })),
    });
    if (!sent?.baseOffset) throw new Error("no offset for the malformed values");
    const first = BigInt(sent.baseOffset);
    const ours = () =>
      letters().filter(
        (l) =>
          l.json.original_partition === sent.partition &&
          BigInt(String(l.json.original_offset)) >= first &&
          BigInt(String(l.json.original_offset)) < first + 3_000n,
      );
    await stillExecutes();
    await bench.recorder.waitFor(() => ours().length >= 3_000, 20_000, "3,000 dead letters");
    const offsets = new Set(ours().map((l) => String(l.json.original_offset)));
    expect(offsets.size).toBe(3_000);
    expect(ours().every((l) => l.key === key && typeof l.json.payload === "string")).toBe(true);
  });

  it("gives a dead letter its message's key, and no key to a message that had none", async ({
    bench,
    engine,
    letterAt,
    stillExecutes,
    site: { signalTopic },
  }) => {
    const [keyless] = await bench.producer.send({
      topic: signalTopic,
      messages: [{ key: null, value: "{ no key" }],
    });
    const [keyed] = await bench.producer.send({
      topic: signalTopic,
      messages: [{ key: "poison_strategy:keyed", value: "{ a key" }],
    });
    if (!keyless?.baseOffset || !keyed?.baseOffset) throw new Error("no offsets");
    await stillExecutes();
    await bench.recorder.waitFor(
      () =>
        letterAt(keyless.partition, keyless.baseOffset ?? "") !== undefined &&
        letterAt(keyed.partition, keyed.baseOffset ?? "") !== undefined,
      10_000,
      "both dead letters",
    );
    expect(letterAt(keyless.partition, keyless.baseOffset)?.key).toBeNull();
    expect(letterAt(keyed.partition, keyed.baseOffset)?.key).toBe("poison_strategy:keyed");
    expect((await httpGet(engine, "/ready")).status).toBe(200);
  });
});
