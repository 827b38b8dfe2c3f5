import {
  type Clock,
  childEnvelope,
  type EnvelopeLineage,
  type ExecutionResult,
  isoNow,
  newEventId,
  type TopicMap,
} from "@engine/core";
import type { JournaledEvent } from "../journal/execution-journal.js";

const EVENT_TYPE = {
  placed: "order_placed",
  filled: "order_filled",
  failed: "order_failed",
} as const;

/** The topic of a result, by its kind. */
export function resultTopic(kind: ExecutionResult["kind"], topics: TopicMap): string {
  switch (kind) {
    case "placed":
      return topics.ordersSubmitted();
    case "filled":
      return topics.ordersFilled();
    case "failed":
      return topics.ordersFailed();
  }
}

/** The contract event of a trader's result, caused by the signal, ready to journal and publish. */
export function resultEvent(
  parent: EnvelopeLineage,
  namespace: string,
  result: ExecutionResult,
  topics: TopicMap,
  clock: Clock,
): JournaledEvent {
  const key = `${result.payload.strategy_id}:${result.payload.instrument_token}`;
  const event = childEnvelope(parent, {
    id: newEventId(),
    type: EVENT_TYPE[result.kind],
    ts: isoNow(clock),
    key,
    broker: namespace,
    data: result.payload,
  });
  return { topic: resultTopic(result.kind, topics), key, event };
}
