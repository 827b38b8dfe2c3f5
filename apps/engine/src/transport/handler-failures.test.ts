import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from "kafkajs";
import { describe, expect, it } from "vitest";
import { describeError, isBusTrouble } from "./handler-failures.js";
import { MessageTooLargeError } from "./transport.js";

function protocolError(type: string): KafkaJSProtocolError {
  return Object.assign(new KafkaJSProtocolError(type), { type });
}

describe("isBusTrouble", () => {
  it.each([
    ["a lost connection", new KafkaJSConnectionError("Connection error: ECONNREFUSED"), true],
    [
      "a produce out of retries",
      new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError("timeout"), {
        retryCount: 5,
        retryTime: 1000,
      }),
      true,
    ],
    ["a leader moving", protocolError("NOT_LEADER_OR_FOLLOWER"), true],
    ["a record the broker refuses", protocolError("MESSAGE_TOO_LARGE"), false],
    [
      "a refused record under a wrapper",
      Object.assign(new KafkaJSNonRetriableError("wrapped"), {
        cause: protocolError("RECORD_LIST_TOO_LARGE"),
      }),
      false,
    ],
    ["our own size check", new MessageTooLargeError("t", 2, 1), false],
    ["a bug", new TypeError("Cannot read properties of undefined"), false],
    ["a thrown string", "oops", false],
  ])("%s: %s", (_, error, expected) => {
    expect(isBusTrouble(error)).toBe(expected);
  });
});

describe("describeError", () => {
  it("names the kind of error once", () => {
    expect(describeError(new TypeError("x is undefined"))).toBe("TypeError: x is undefined");
    expect(describeError(new Error("plain"))).toBe("Error: plain");
    expect(describeError(42)).toBe("42");
  });
});
