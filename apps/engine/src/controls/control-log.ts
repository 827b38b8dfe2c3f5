import { controlKey, type TradingControl } from "@engine/core";
import type { InMemoryTransport } from "../transport/in-memory-transport.js";
import type { OutboundMessage } from "../transport/transport.js";

/**
 * The log of trading-state changes every instance obeys: `engine.control` on Kafka (compacted,
 * keyed by scope), the in-process bus when embedded. The log is the audit trail.
 */
export interface ControlLog {
  /** Appends a change; resolves once the bus acknowledged it. */
  append(control: TradingControl): Promise<void>;
  /**
   * Hands every change from the beginning of the log to `onMessage` (raw: the caller decodes)
   * with its position in the log (increasing), then every new one as it arrives. Resolves once it
   * has read up to the end the log had when called: from then on this instance knows every change
   * made before. A reader that restarts may hand records again: their positions tell.
   */
  follow(onMessage: (value: string, position: bigint) => void): Promise<void>;
  /** Stops following and disconnects. */
  close(): Promise<void>;
}

/** The record of a change on the log: keyed by its scope, so compaction keeps each scope's latest. */
export function controlRecord(topic: string, control: TradingControl): OutboundMessage {
  return { topic, key: controlKey(control), value: JSON.stringify(control) };
}

/** The embedded mode's control log, on the in-process bus. */
export class InMemoryControlLog implements ControlLog {
  readonly #bus: InMemoryTransport;
  readonly #topic: string;
  #unlisten: (() => void) | undefined;

  constructor(bus: InMemoryTransport, topic: string) {
    this.#bus = bus;
    this.#topic = topic;
  }

  append(control: TradingControl): Promise<void> {
    return this.#bus.publish([controlRecord(this.#topic, control)]);
  }

  async follow(onMessage: (value: string, position: bigint) => void): Promise<void> {
    let position = 0n;
    this.#unlisten = this.#bus.replay(this.#topic, (message) =>
      onMessage(
        typeof message.value === "string" ? message.value : String(message.value),
        position++,
      ),
    );
  }

  async close(): Promise<void> {
    this.#unlisten?.();
  }
}
