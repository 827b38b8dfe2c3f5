import { type Clock, decodeMarketTick, type MarketQuote } from "@engine/core";
import type { EngineMetrics } from "../observability/metrics.js";
import type { InboundBatch, OutboundMessage, Subscription } from "../transport/transport.js";
import { deadLetter } from "./dead-letter.js";

export interface TickHandlerDeps {
  /** Where quotes go (the engine's `MarketData`, over its price cache). */
  prices: { set(quote: MarketQuote, at: number | string): void };
  topic: string;
  dlqTopic: string;
  clock: Clock;
  metrics: EngineMetrics;
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  /** The largest record the bus takes, bytes: a dead letter is cut to fit. */
  maxMessageBytes?: number | undefined;
}

/** Applies market ticks to the price cache; undecodable ticks go to the dead-letter topic. */
export function tickSubscription(deps: TickHandlerDeps): Subscription {
  return {
    topic: deps.topic,
    async handle(batch: InboundBatch): Promise<void> {
      const dead = applyTicks(deps, batch);
      if (dead) {
        await deps.publish(dead);
        deps.metrics.deadLetters.inc({ topic: batch.topic }, dead.length);
      }
    },
  };
}

/** Applies the batch's ticks; returns the dead letters of those that did not decode, if any. */
function applyTicks(deps: TickHandlerDeps, batch: InboundBatch): OutboundMessage[] | undefined {
  let applied = 0;
  let dead: OutboundMessage[] | undefined;
  // The age of a tick without a timestamp of its own counts from its record's, else from now.
  const readAt = deps.clock.now();
  for (const message of batch.messages) {
    const decoded = message.value ? decodeMarketTick(message.value) : null;
    if (decoded?.ok) {
      deps.prices.set(decoded.value, message.timestamp ?? readAt);
      applied += 1;
    } else {
      const reason = decoded ? decoded.error.message : "empty message";
      dead = dead ?? [];
      dead.push(deadLetter(message, reason, deps.dlqTopic, deps.clock, deps.maxMessageBytes));
    }
  }
  deps.metrics.ticks.inc(applied);
  return dead;
}
