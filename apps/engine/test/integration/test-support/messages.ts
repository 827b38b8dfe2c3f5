// The wire-format builders live in @engine/core/testing, shared with the bench; these names are
// the ones the integration tests use.
export {
  asKafkaMessage as asMessage,
  marketTickEvent as marketTick,
  type ValidatedSignalEventInput as SignalInput,
  validatedSignalEvent as validatedSignal,
} from "@engine/core/testing";

/** The ids of these signals (or of any events). */
export function idsOf(events: readonly { id: string }[]): string[] {
  return events.map((event) => event.id);
}
