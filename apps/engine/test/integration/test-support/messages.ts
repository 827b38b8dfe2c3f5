// The wire-format builders live in @engine/core/testing, shared with the bench; these names are
// the ones the integration tests use.
export {
  asKafkaMessage as asMessage,
  marketTickEvent as marketTick,
  type ValidatedSignalEventInput as SignalInput,
  validatedSignalEvent as validatedSignal,
} from "@engine/core/testing";
