import { type Clock, isoNow } from "@engine/core";
import type { InboundMessage, OutboundMessage } from "../transport/transport.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The dead letter of a message that could not be used, as the contract has it: the original value
 * unchanged (as text, or base64 when it is not UTF-8), where it came from, and why.
 */
export function deadLetter(
  message: InboundMessage,
  error: string,
  dlqTopic: string,
  clock: Clock,
): OutboundMessage {
  const value = message.value ?? Buffer.alloc(0);
  let payload: { payload: string } | { payload_base64: string };
  try {
    payload = { payload: utf8.decode(value) };
  } catch {
    payload = { payload_base64: value.toString("base64") };
  }
  return {
    topic: dlqTopic,
    key: message.key?.toString("utf8") ?? "",
    value: JSON.stringify({
      original_topic: message.topic,
      original_partition: message.partition,
      original_offset: message.offset,
      error,
      failed_at: isoNow(clock),
      ...payload,
    }),
  };
}
