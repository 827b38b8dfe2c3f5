import { describe, expect, it } from "vitest";
import { recordBytes, splitBySize } from "./produce-requests.js";
import { MessageTooLargeError, type OutboundMessage } from "./transport.js";

const message = (i: number, bytes: number, key: string | null = `k${i % 3}`): OutboundMessage => ({
  topic: "t.dlq",
  key,
  value: String(i).padEnd(bytes, "x"),
});

describe("splitBySize", () => {
  it("keeps a small publish in one request", () => {
    const messages = [message(1, 200), message(2, 300)];
    expect(splitBySize(messages, 1_000_000)).toEqual([messages]);
  });

  it("splits 3,000 dead letters of about 600 bytes into requests under the limit, in order", () => {
    const messages = Array.from({ length: 3_000 }, (_, i) => message(i, 600));
    const runs = splitBySize(messages, 1_000_000);
    expect(runs.length).toBeGreaterThan(1);
    for (const run of runs) {
      expect(run.reduce((sum, m) => sum + recordBytes(m), 0)).toBeLessThanOrEqual(1_000_000);
    }
    expect(runs.flat()).toEqual(messages);
  });

  it("counts keys, multi-byte text and null keys", () => {
    expect(recordBytes({ topic: "t", key: null, value: "₹" })).toBe(3 + 128);
    expect(recordBytes({ topic: "t", key: Buffer.from([1, 2]), value: "" })).toBe(2 + 128);
    const runs = splitBySize(
      [message(1, 400, null), { ...message(2, 100), value: "₹".repeat(200) }],
      800,
    );
    expect(runs).toHaveLength(2);
  });

  it("refuses a message that cannot fit, naming its topic, before sending anything", () => {
    const error = (() => {
      try {
        splitBySize([message(1, 10), message(2, 2_000)], 1_000);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({ code: "MESSAGE_TOO_LARGE", retryable: false });
    expect(String((error as Error).message)).toMatch(/t\.dlq.*2\d{3} bytes.*1000/);
  });
});
