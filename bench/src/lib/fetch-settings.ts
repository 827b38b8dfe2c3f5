// How the baseline consumer fetches: as the engine's tick consumer does
// (apps/engine/src/transport/kafka-transport.ts), so the two differ only in what they do with
// each message.
export const CONSUMER_FETCH = {
  consumer: { maxWaitTimeInMs: 100, maxBytesPerPartition: 4 * 1024 * 1024 },
  run: { partitionsConsumedConcurrently: 4 },
};
