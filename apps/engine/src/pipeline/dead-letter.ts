import { createHash } from "node:crypto";
import { type Clock, isoNow } from "@engine/core";
import {
  type InboundMessage,
  type OutboundMessage,
  RECORD_OVERHEAD_BYTES,
} from "../transport/transport.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Kafka's default `message.max.bytes` (1 MB) with room to spare: the default record limit. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;

/** The longest `error` a dead letter carries, in characters: a reason, not a dump. */
const MAX_ERROR_CHARS = 4_096;

/**
 * The dead letter of a message that could not be used, as the contract has it: the original value
 * unchanged (as text, or base64 when it is not UTF-8), the original key unchanged (null stays
 * null), where it came from, and why.
 *
 * A dead letter always fits in `maxBytes` (the largest record the broker takes, key and record
 * overhead included): when the whole value does not, the payload is cut to what fits and the
 * letter says so with `payload_truncated: true`, the original's size in bytes (`payload_bytes`)
 * and its SHA-256 in hex (`payload_sha256`).
 */
export function deadLetter(
  message: InboundMessage,
  error: string,
  dlqTopic: string,
  clock: Clock,
  maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
): OutboundMessage {
  const value = message.value ?? Buffer.alloc(0);
  const head = {
    original_topic: message.topic,
    original_partition: message.partition,
    original_offset: message.offset,
    error: error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error,
    failed_at: isoNow(clock),
  };
  let text: string | null;
  try {
    text = utf8.decode(value);
  } catch {
    text = null;
  }
  const whole = JSON.stringify(
    text === null
      ? { ...head, payload_base64: value.toString("base64") }
      : { ...head, payload: text },
  );
  const budget = maxBytes - RECORD_OVERHEAD_BYTES - (message.key?.length ?? 0);
  if (Buffer.byteLength(whole) <= budget) {
    return { topic: dlqTopic, key: message.key, value: whole };
  }
  return { topic: dlqTopic, key: message.key, value: truncated(head, value, text, budget) };
}

/** The letter with as much of the payload as fits in `budget` bytes. */
function truncated(
  head: Record<string, unknown>,
  value: Buffer,
  text: string | null,
  budget: number,
): string {
  const marks = {
    payload_truncated: true,
    payload_bytes: value.length,
    payload_sha256: createHash("sha256").update(value).digest("hex"),
  };
  const letter = (prefix: number) =>
    JSON.stringify(
      text === null
        ? { ...head, ...marks, payload_base64: value.subarray(0, prefix).toString("base64") }
        : { ...head, ...marks, payload: textPrefix(text, prefix) },
    );
  // The longest prefix that fits: escaping makes a character take 1 to 6 bytes in the letter, so
  // the size is measured, not computed. About 20 tries for a megabyte, on a rare path.
  const length = text === null ? value.length : text.length;
  let fits = 0;
  let tooLong = length + 1;
  while (tooLong - fits > 1) {
    const middle = Math.floor((fits + tooLong) / 2);
    if (Buffer.byteLength(letter(middle)) <= budget) fits = middle;
    else tooLong = middle;
  }
  return letter(fits);
}

/** The first `length` UTF-16 units of `text`, never half of a surrogate pair. */
function textPrefix(text: string, length: number): string {
  const last = text.charCodeAt(length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, length - 1) : text.slice(0, length);
}
