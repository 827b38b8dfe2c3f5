import { type Clock, decodeMarketTick } from "@engine/core";
import type { EngineMetrics } from "../observability/metrics.js";
import type { InboundBatch, OutboundMessage, Subscription } from "../transport/transport.js";
import { deadLetter } from "./dead-letter.js";
import type { PriceCache } from "./price-cache.js";

export interface TickHandlerDeps {
  prices: PriceCache;
  topic: string;
  dlqTopic: string;
  clock: Clock;
  metrics: EngineMetrics;
  publish(messages: readonly OutboundMessage[]): Promise<void>;
}

/** Applies market ticks to the price cache; undecodable ticks go to the dead-letter topic. */
export function tickSubscription(deps: TickHandlerDeps): Subscription {
  return {
    topic: deps.topic,
    async handle(batch: InboundBatch): Promise<void> {
      let applied = 0;
      let dead: OutboundMessage[] | undefined;
      for (const message of batch.messages) {
        const decoded = message.value ? decodeMarketTick(message.value) : null;
        if (decoded?.ok) {
          deps.prices.set(decoded.value);
          applied += 1;
        } else {
          const reason = decoded ? decoded.error.message : "empty message";
          dead = dead ?? [];
          dead.push(deadLetter(message, reason, deps.dlqTopic, deps.clock));
        }
      }
      deps.metrics.ticks.inc(applied);
      if (dead) {
        await deps.publish(dead);
        deps.metrics.deadLetters.inc({ topic: batch.topic }, dead.length);
      }
    },
  };
}
