/**
 * The topics an engine with this input namespace and tick topic creates at start that belong to
 * this run alone. Its outputs go to the execution namespace's topics (`paper.orders.*`), shared
 * with every engine on the broker: never deleted.
 */
export function engineTopics(namespace: string, ticksTopic: string): string[] {
  return [
    `${namespace}.signals.validated`,
    `${namespace}.signals.validated.dlq`,
    `${ticksTopic}.dlq`,
  ];
}

/** Where paper results go, whatever the engine's input namespace (the contract's `{ns}`). */
export const PAPER_FILLED = "paper.orders.filled";
export const PAPER_FAILED = "paper.orders.failed";
