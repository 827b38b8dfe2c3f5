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
    expect(letter.key).toBe("k1");
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

  it("keeps an empty key and an empty value", () => {
    const letter = deadLetter(message(null, null), "empty message", "x.dlq", clock);
    expect(letter.key).toBe("");
    expect(JSON.parse(letter.value).payload).toBe("");
  });
});
