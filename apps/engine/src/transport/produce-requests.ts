import { MessageTooLargeError, type OutboundMessage, RECORD_OVERHEAD_BYTES } from "./transport.js";

/** What one message takes in a produce request, bytes, overhead included. */
export function recordBytes(message: OutboundMessage): number {
  const key = message.key === null ? 0 : Buffer.byteLength(message.key);
  return key + Buffer.byteLength(message.value) + RECORD_OVERHEAD_BYTES;
}

/**
 * Splits `messages` into consecutive runs of at most `limit` bytes each, in order, so each run can
 * go out in one produce request the broker accepts (its `message.max.bytes` bounds a record batch,
 * and a request of one topic and partition is one batch). The usual publish, a few small results,
 * is one run, found without measuring a byte.
 * @throws MessageTooLargeError when one message alone is over `limit`
 */
export function splitBySize(
  messages: readonly OutboundMessage[],
  limit: number,
): OutboundMessage[][] {
  // UTF-8 takes at most three bytes per UTF-16 unit: an upper bound without encoding anything.
  let bound = 0;
  for (const message of messages) {
    bound += 3 * (message.value.length + (message.key?.length ?? 0)) + RECORD_OVERHEAD_BYTES;
  }
  if (bound <= limit) return [messages.slice()];

  const runs: OutboundMessage[][] = [];
  let run: OutboundMessage[] = [];
  let size = 0;
  for (const message of messages) {
    const bytes = recordBytes(message);
    if (bytes > limit) throw new MessageTooLargeError(message.topic, bytes, limit);
    if (size + bytes > limit && run.length > 0) {
      runs.push(run);
      run = [];
      size = 0;
    }
    run.push(message);
    size += bytes;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
