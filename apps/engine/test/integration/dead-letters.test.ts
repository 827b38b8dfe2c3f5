import { randomUUID } from "node:crypto";
import { describe, expect } from "vitest";
import { FILE_SCOPE, inProcessTest } from "./test-support/fixtures.js";
import type { Recorded } from "./test-support/kafka.js";
import { asMessage, marketTick, validatedSignal } from "./test-support/messages.js";
import { httpGet, metricValue, type Sent, sendOne } from "./test-support/probes.js";
import { sendSignals } from "./test-support/signal-stream.js";

/** A message sent, where it landed, and what its dead letter's `error` must name. */
type SentMessage = Sent & {
  topic: string;
  key: string;
  value: string | Buffer | null;
  error: RegExp;
};

interface Malformed {
  name: string;
  key: string;
  value: string | Buffer | null;
  /** What the dead letter's `error` must name. */
  error: RegExp;
}

/** The contract's dead-letter fields, checked against what was sent. */
function expectDeadLetter(letter: Recorded | undefined, sent: SentMessage): void {
  expect(letter, `a dead letter for offset ${sent.offset}`).toBeDefined();
  if (!letter) return;
  expect(letter.key).toBe(sent.key);
  expect(letter.json).toMatchObject({
    original_topic: sent.topic,
    original_partition: sent.partition,
    original_offset: sent.offset,
  });
  expect(String(letter.json.error)).toMatch(sent.error);
  expect(Number.isNaN(Date.parse(String(letter.json.failed_at)))).toBe(false);
  expect(String(letter.json.failed_at)).toMatch(/(Z|[+-]\d{2}:\d{2})$/);
  const value = sent.value ?? Buffer.alloc(0);
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, "utf8");
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let text: string | null;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = null;
  }
  if (text === null) {
    expect(letter.json).not.toHaveProperty("payload");
    expect(letter.json.payload_base64).toBe(bytes.toString("base64"));
  } else {
    expect(letter.json).not.toHaveProperty("payload_base64");
    expect(letter.json.payload).toBe(text);
  }
}

// Every dead letter is logged as a warning: expected here.
const it = inProcessTest.extend("options", FILE_SCOPE, {
  label: "dlq",
  namespaces: ["paper"],
  deadLetters: true,
  recorded: ["market.ticks.dlq"],
  env: { LOG_LEVEL: "error" },
  strategies: [{ id: "dlq_strategy" }],
  price: 310,
});

describe("malformed messages go to {topic}.dlq unchanged, and consumption goes on", () => {
  it("dead-letters undecodable and invalid validated signals with their key, origin and reason, then executes the next valid one", async ({
    engine,
    token,
    bench: { producer, recorder },
    site: { signalTopic },
  }) => {
    const zeroQuantity = validatedSignal({ strategyId: "dlq_strategy", instrumentToken: token });
    zeroQuantity.data.original_signal.quantity = 0;
    const noOriginal: Record<string, unknown> = validatedSignal({
      strategyId: "dlq_strategy",
      instrumentToken: token,
    });
    delete (noOriginal.data as Record<string, unknown>).original_signal;
    const malformed: Malformed[] = [
      {
        name: "invalid JSON",
        key: `dlq_strategy:${token}`,
        value: '{"id": "truncated", "type": "validated_signal", ',
        error: /JSON/,
      },
      {
        name: "quantity 0",
        key: zeroQuantity.key,
        value: JSON.stringify(zeroQuantity),
        error: /data\.original_signal\.quantity/,
      },
      {
        name: "no original_signal",
        key: `dlq_no_original:${token}`,
        value: JSON.stringify(noOriginal),
        error: /data\.original_signal/,
      },
      {
        name: "bytes that are not UTF-8",
        key: `dlq_bytes:${token}`,
        value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x80, 0x7d]),
        error: /utf-8/i,
      },
      { name: "an empty value", key: `dlq_empty:${token}`, value: null, error: /empty/ },
    ];
    const sent: SentMessage[] = [];
    for (const message of malformed) {
      const where = await sendOne(producer, signalTopic, {
        key: message.key,
        value: message.value,
      });
      sent.push({ ...message, ...where, topic: signalTopic });
    }
    const valid = validatedSignal({ strategyId: "dlq_strategy", instrumentToken: token });
    await sendSignals(producer, signalTopic, [valid]);

    const letters = () => recorder.messages.filter((m) => m.topic === `${signalTopic}.dlq`);
    await recorder.waitFor(
      () =>
        letters().length >= malformed.length &&
        recorder.causedBy("paper.orders.filled", valid.id).length === 1,
      30_000,
      "every dead letter and the valid signal's fill",
    );
    expect(letters()).toHaveLength(malformed.length);
    for (const message of sent) {
      const letter = letters().find(
        (l) =>
          l.json.original_offset === message.offset &&
          l.json.original_partition === message.partition,
      );
      expectDeadLetter(letter, message);
    }
    const metrics = await httpGet(engine, "/metrics");
    expect(metricValue(metrics.text, "engine_dead_letters_total", { topic: signalTopic })).toBe(
      malformed.length,
    );
  });

  it("dead-letters a bad market tick with its key, origin and reason, then applies the next good tick", async ({
    engine,
    token,
    bench: { producer, recorder },
    site: { signalTopic },
  }) => {
    // Every engine running reads market.ticks: this file's letters are the ones with its marker.
    const marker = randomUUID();
    const tick = marketTick(token, 1);
    const badPrice = { ...tick, id: marker, data: { ...tick.data, last_price: "not a price" } };
    const notATick = { ...marketTick(token, 1), id: `${marker}-type`, type: "trading_signal" };
    const cases = [
      { key: String(token), value: JSON.stringify(badPrice), error: /data\.last_price/ },
      { key: String(token), value: JSON.stringify(notATick), error: /type/ },
    ];
    const sent: SentMessage[] = [];
    for (const message of cases) {
      const where = await sendOne(producer, "market.ticks", message);
      sent.push({ ...message, ...where, topic: "market.ticks" });
    }
    const good = marketTick(token, 333.3);
    await producer.send({ topic: "market.ticks", messages: [asMessage(good)] });

    const ours = (offset: string) =>
      recorder.messages.filter(
        (m) =>
          m.topic === "market.ticks.dlq" &&
          typeof m.json.payload === "string" &&
          m.json.payload.includes(marker) &&
          m.json.original_offset === offset,
      );
    await recorder.waitFor(
      () => sent.every((message) => ours(message.offset).length >= 1),
      30_000,
      "the dead letters of the bad ticks",
    );
    for (const message of sent) {
      // One letter per running engine; each must be right.
      for (const letter of ours(message.offset)) expectDeadLetter(letter, message);
    }

    // The good tick after them reaches the price cache (the tick consumer runs apart from the
    // signal consumer, so ask until a BUY fills at its best ask).
    const deadline = Date.now() + 30_000;
    let fillPrice: unknown;
    while (fillPrice !== 333.35) {
      if (Date.now() > deadline) throw new Error(`the good tick was never applied (${fillPrice})`);
      const signal = validatedSignal({ strategyId: "dlq_strategy", instrumentToken: token });
      await sendSignals(producer, signalTopic, [signal]);
      await recorder.waitForResults(
        signal.id,
        ["paper.orders.filled"],
        30_000,
        "a fill after the bad ticks",
      );
      fillPrice = recorder.causedBy("paper.orders.filled", signal.id)[0]?.json.data?.fill_price;
    }
    expect(await engine.ticksApplied()).toBeGreaterThanOrEqual(2);
  });
});
