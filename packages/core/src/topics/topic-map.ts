/** The shared tick topic, read by every engine instance. */
export const MARKET_TICKS_TOPIC = "market.ticks";

const NAMESPACE_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** Throws when `namespace` cannot be part of a topic name. */
export function assertNamespace(namespace: string): void {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new TypeError(
      `Invalid namespace "${namespace}": use lowercase letters, digits, "_" or "-", starting with a letter`,
    );
  }
}

/**
 * Topic names of one namespace, as the platform names them. `prefix` puts every name under a
 * prefix (shadow mode writes `shadow.paper.orders.filled`).
 */
export class TopicMap {
  readonly namespace: string;
  readonly prefix: string;

  constructor(namespace: string, options: { prefix?: string } = {}) {
    assertNamespace(namespace);
    this.namespace = namespace;
    this.prefix = options.prefix ?? "";
  }

  /** `{prefix}{ns}.signals.validated`: the validated signals the engine consumes. */
  signalsValidated(): string {
    return `${this.prefix}${this.namespace}.signals.validated`;
  }

  /** `{prefix}{ns}.orders.submitted`: `order_placed` results. */
  ordersSubmitted(): string {
    return `${this.prefix}${this.namespace}.orders.submitted`;
  }

  /** `{prefix}{ns}.orders.filled`: `order_filled` results. */
  ordersFilled(): string {
    return `${this.prefix}${this.namespace}.orders.filled`;
  }

  /** `{prefix}{ns}.orders.failed`: `order_failed` results. */
  ordersFailed(): string {
    return `${this.prefix}${this.namespace}.orders.failed`;
  }

  /** `market.ticks`: one topic for every namespace, never prefixed. */
  marketTicks(): string {
    return MARKET_TICKS_TOPIC;
  }

  /** Dead-letter topic of any topic (under the prefix, like every other output). */
  dlq(topic: string): string {
    return `${this.prefix}${topic}.dlq`;
  }
}
