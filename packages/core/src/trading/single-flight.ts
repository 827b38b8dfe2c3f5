/**
 * One running call per key: a call made while another with the same key runs gets that call's
 * promise instead of starting its own; once it settles (either way), the next call starts anew.
 *
 * A live trader runs each placement through one, keyed by the client order id, so two
 * submissions of one order at once (a redelivery racing a takeover, a retry racing its original)
 * send one request to the broker and share its answer; and its `initialize` through another, so
 * concurrent starts share one attempt and a failed one is tried again by the next call.
 *
 * @typeParam K the key (a client order id; `undefined` for a single slot)
 * @typeParam V what a call resolves to
 */
export class SingleFlight<K, V> {
  readonly #running = new Map<K, Promise<V>>();

  /**
   * The running call's promise for `key`, or `call()`'s when none runs (`call` starts at once, in
   * this tick). A `call` that throws rejects the returned promise and leaves the key free.
   */
  run(key: K, call: () => Promise<V>): Promise<V> {
    const running = this.#running.get(key);
    if (running) return running;
    let started: Promise<V>;
    try {
      started = call().finally(() => this.#running.delete(key));
    } catch (error) {
      return Promise.reject(error);
    }
    this.#running.set(key, started);
    return started;
  }

  /** How many calls run now. */
  get size(): number {
    return this.#running.size;
  }
}
