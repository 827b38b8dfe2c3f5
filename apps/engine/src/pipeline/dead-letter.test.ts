import { createHash } from "node:crypto";
import { FakeClock } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import { deadLetter } from "./dead-letter.js";

const clock = new FakeClock("2026-11-25T04:00:00.000Z");

function message(value: Buffer | null, key: string | null = "k1") {
  return {
    topic: "paper.signals.validated",
    partition: 2,
    offset: "41",
    key: key ? Buffer.from(key) : null,
    value,
  };
}

describe("deadLetter", () => {
  it("keeps a UTF-8 payload unchanged, with where it came from and why", () => {
    const letter = deadLetter(
      message(Buffer.from('{"oops": ')),
      "not valid JSON",
      "paper.signals.validated.dlq",
      clock,
    );
    expect(letter.topic).toBe("paper.signals.validated.dlq");
    expect(letter.key).toEqual(Buffer.from("k1"));
    expect(JSON.parse(letter.value)).toEqual({
      original_topic: "paper.signals.validated",
      original_partition: 2,
      original_offset: "41",
      error: "not valid JSON",
      failed_at: "2026-11-25T04:00:00.000Z",
      payload: '{"oops": ',
    });
  });

  it("carries a payload that is not UTF-8 as base64", () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const letter = JSON.parse(deadLetter(message(bytes), "bad bytes", "x.dlq", clock).value);
    expect(letter.payload).toBeUndefined();
    expect(Buffer.from(letter.payload_base64, "base64")).toEqual(bytes);
  });

  it("keeps a missing key missing, and an empty value", () => {
    const letter = deadLetter(message(null, null), "empty message", "x.dlq", clock);
    expect(letter.key).toBeNull();
    expect(JSON.parse(letter.value).payload).toBe("");
  });

  it("keeps a key that is not UTF-8 byte for byte", () => {
    const key = Buffer.from([0xff, 0x00, 0x80]);
    const letter = deadLetter({ ...message(Buffer.from("x")), key }, "bad", "x.dlq", clock);
    expect(letter.key).toEqual(key);
  });

  it.each([
    ["plain text", Buffer.from("x".repeat(900_000))],
    ["text that escaping doubles", Buffer.from('"\\'.repeat(300_000))],
    ["control characters (six bytes each once escaped)", Buffer.alloc(400_000, 0x01)],
    ["multi-byte characters", Buffer.from("₹😀".repeat(120_000))],
    ["bytes that are not UTF-8", Buffer.alloc(900_000, 0xff)],
  ])("cuts a payload of %s to fit, saying so, with the original's size and hash", (_, value) => {
    const limit = 100_000;
    const letter = deadLetter(message(value), "too big", "x.dlq", clock, limit);
    const bytes = Buffer.byteLength(letter.value) + (letter.key?.length ?? 0);
    expect(bytes).toBeLessThanOrEqual(limit - 128);
    // Not cut much shorter than it had to be.
    expect(bytes).toBeGreaterThan(limit - 128 - 16);
    const json = JSON.parse(letter.value);
    expect(json).toMatchObject({
      original_offset: "41",
      error: "too big",
      payload_truncated: true,
      payload_bytes: value.length,
      payload_sha256: createHash("sha256").update(value).digest("hex"),
    });
    const kept: Buffer =
      "payload" in json
        ? Buffer.from(json.payload, "utf8")
        : Buffer.from(json.payload_base64, "base64");
    expect(kept.length).toBeGreaterThan(0);
    expect(value.subarray(0, kept.length).equals(kept)).toBe(true);
  });

  it("leaves a payload that fits whole, without the truncation fields", () => {
    const value = Buffer.from("y".repeat(50_000));
    const json = JSON.parse(deadLetter(message(value), "bad", "x.dlq", clock, 100_000).value);
    expect(json.payload).toBe(value.toString());
    expect(json).not.toHaveProperty("payload_truncated");
    expect(json).not.toHaveProperty("payload_sha256");
  });
});
