import { controlKey, type TradingControl } from "@engine/core";
import type { InMemoryTransport } from "../transport/in-memory-transport.js";
import type { OutboundMessage } from "../transport/transport.js";

/**
 * What a reader of the control log is told, in order. A reading starts at the log's beginning;
 * when the log is lost under it (its reader crashed, the topic was deleted or re-created) it is
 * `rewind`ed and read again from the beginning: until the next `caughtUp`, what the reader knew
 * is no longer known to be current.
 */
export interface ControlLogReader {
  /** A change, raw (the reader decodes it), in log order. */
  record(value: string): void;
  /** The log is read again from its beginning; `reason` says why. */
  rewind(reason: string): void;
  /** Read up to where the log ended when this reading began. */
  caughtUp(): void;
}

/**
 * The log of trading-state changes every instance obeys: `engine.control` on Kafka (compacted,
 * one partition, keyed by scope), the in-process bus when embedded. The log is the audit trail.
 */
export interface ControlLog {
  /**
   * Makes the log ready to read and write, checking where it lives.
   * @throws SettingsError when it cannot hold the log (the control topic's partitions, retention)
   */
  connect(): Promise<void>;
  /** Appends a change; resolves once the bus acknowledged it. */
  append(control: TradingControl): Promise<void>;
  /**
   * Hands `reader` every change from the beginning of the log, then every new one as it arrives.
   * Resolves at the first `caughtUp`: from then on this instance knows every change made before.
   */
  follow(reader: ControlLogReader): Promise<void>;
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

  /** Nothing to check: the in-process bus holds the log for this process's life. */
  async connect(): Promise<void> {}

  async follow(reader: ControlLogReader): Promise<void> {
    this.#unlisten = this.#bus.replay(this.#topic, (message) =>
      reader.record(typeof message.value === "string" ? message.value : String(message.value)),
    );
    reader.caughtUp();
  }

  async close(): Promise<void> {
    this.#unlisten?.();
  }
}
