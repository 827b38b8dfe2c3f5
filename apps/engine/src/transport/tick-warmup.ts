/** Where one partition of the tick topic starts and where its warm-up ends. */
export interface WarmupPartition {
  partition: number;
  /** The first offset read. */
  start: bigint;
  /** The partition's end (high watermark) when the engine started: warm once read up to here. */
  end: bigint;
}

/**
 * Follows the reading of the tick topic from a recent point to where it ended at start: the price
 * cache is warm once every partition has been read that far. `done` resolves then (at once when
 * there was nothing to read).
 */
export class TickWarmup {
  readonly done: Promise<void>;
  readonly #left = new Map<number, WarmupPartition & { next: bigint }>();
  #resolve: () => void = () => {};

  constructor(partitions: readonly WarmupPartition[]) {
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    for (const partition of partitions) {
      if (partition.start < partition.end) {
        this.#left.set(partition.partition, { ...partition, next: partition.start });
      }
    }
    if (this.#left.size === 0) this.#resolve();
  }

  get complete(): boolean {
    return this.#left.size === 0;
  }

  /** Ticks still to read before the cache is warm. */
  get remaining(): bigint {
    let total = 0n;
    for (const partition of this.#left.values()) total += partition.end - partition.next;
    return total;
  }

  /** Everything up to `lastOffset` of `partition` has been read. */
  read(partition: number, lastOffset: string): void {
    const left = this.#left.get(partition);
    if (!left) return;
    left.next = BigInt(lastOffset) + 1n;
    if (left.next < left.end) return;
    this.#left.delete(partition);
    if (this.#left.size === 0) this.#resolve();
  }
}
