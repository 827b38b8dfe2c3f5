/** Why a wait ended. */
export type WakeReason = "timeout" | "woken" | "aborted";

/**
 * Lets a postback cut an order's poll interval short: waiters sleep per order id, and a verified
 * postback for that order wakes them at once.
 */
export class OrderWakeups {
  readonly #waiters = new Map<string, Set<(reason: WakeReason) => void>>();

  /** Resolves after `ms` (`timeout`), on {@link OrderWakeups.wake} (`woken`), or on abort. */
  wait(orderId: string, ms: number, abort?: AbortSignal): Promise<WakeReason> {
    if (abort?.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      const onAbort = () => finish("aborted");
      const timer = setTimeout(() => finish("timeout"), Math.max(0, ms));
      const finish = (reason: WakeReason) => {
        clearTimeout(timer);
        abort?.removeEventListener("abort", onAbort);
        const set = this.#waiters.get(orderId);
        set?.delete(finish);
        if (set?.size === 0) this.#waiters.delete(orderId);
        resolve(reason);
      };
      abort?.addEventListener("abort", onAbort, { once: true });
      let set = this.#waiters.get(orderId);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(orderId, set);
      }
      set.add(finish);
    });
  }

  /** Wakes every waiter of the order; returns how many there were. */
  wake(orderId: string): number {
    const set = this.#waiters.get(orderId);
    if (set === undefined) return 0;
    const waiters = [...set];
    for (const finish of waiters) finish("woken");
    return waiters.length;
  }

  /** Number of orders with a waiter. */
  get size(): number {
    return this.#waiters.size;
  }
}
