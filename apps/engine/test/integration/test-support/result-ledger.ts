import type { Recorded, TopicRecorder } from "./kafka.js";

/** The namespace a result topic belongs to (`paper.orders.filled` → `paper`). */
function namespaceOf(topic: string): string {
  return topic.slice(0, topic.indexOf(".orders."));
}

/**
 * The results the engine published for a known set of signals, read from a `TopicRecorder`
 * listening on `resultTopics(...)`. The output topics are shared by every test file and run, so
 * only results caused by these signals count.
 */
export class ResultLedger {
  readonly #recorder: TopicRecorder;
  readonly #namespaces: readonly string[];
  readonly signalIds: string[] = [];
  readonly #wanted = new Set<string>();
  readonly #bySignal = new Map<string, Recorded[]>();
  #cursor = 0;

  constructor(recorder: TopicRecorder, namespaces: readonly string[]) {
    this.#recorder = recorder;
    this.#namespaces = namespaces;
  }

  /** Signals whose results are expected, in the order they were produced. */
  expect(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.#wanted.has(id)) continue;
      this.#wanted.add(id);
      this.signalIds.push(id);
    }
  }

  /** Recorded results of the expected signals (copies included), in the order seen. */
  results(): Recorded[] {
    const wanted = this.#wanted;
    return this.#recorder.messages.filter(
      (m) => m.topic.includes(".orders.") && wanted.has(String(m.json.causation_id)),
    );
  }

  /**
   * Indexes the results recorded since the last call by the signal that caused them. The
   * recorder reads the shared topics from their beginning: scanning only what is new keeps
   * frequent polling cheap however long their history.
   */
  #sync(): void {
    const messages = this.#recorder.messages;
    for (; this.#cursor < messages.length; this.#cursor += 1) {
      const message = messages[this.#cursor];
      if (!message?.topic.includes(".orders.")) continue;
      const cause = message.json.causation_id;
      if (typeof cause !== "string") continue;
      const list = this.#bySignal.get(cause);
      if (list) list.push(message);
      else this.#bySignal.set(cause, [message]);
    }
  }

  /** Distinct result event ids per namespace of one signal. */
  #distinctOf(id: string): Map<string, Set<string>> {
    const byNamespace = new Map<string, Set<string>>();
    for (const message of this.#bySignal.get(id) ?? []) {
      const namespace = namespaceOf(message.topic);
      const ids = byNamespace.get(namespace) ?? new Set<string>();
      byNamespace.set(namespace, ids);
      ids.add(String(message.json.id));
    }
    return byNamespace;
  }

  /** Distinct result event ids per signal and namespace, for these signals. */
  distinct(ids: readonly string[] = this.signalIds): Map<string, Map<string, Set<string>>> {
    this.#sync();
    return new Map(ids.map((id) => [id, this.#distinctOf(id)]));
  }

  /** Expected signals with at least one result on every namespace. */
  completed(ids: readonly string[] = this.signalIds): number {
    const distinct = this.distinct(ids);
    return ids.filter((id) =>
      this.#namespaces.every((ns) => (distinct.get(id)?.get(ns)?.size ?? 0) > 0),
    ).length;
  }

  /** Expected signals with at least one result on this namespace. */
  completedOn(namespace: string, ids: readonly string[] = this.signalIds): number {
    const distinct = this.distinct(ids);
    return ids.filter((id) => (distinct.get(id)?.get(namespace)?.size ?? 0) > 0).length;
  }

  /** Every expected signal that does not have exactly one distinct result per namespace. */
  problems(ids: readonly string[] = this.signalIds): string[] {
    const distinct = this.distinct(ids);
    const problems: string[] = [];
    for (const id of ids) {
      for (const ns of this.#namespaces) {
        const count = distinct.get(id)?.get(ns)?.size ?? 0;
        if (count !== 1) problems.push(`${id} on ${ns}: ${count} distinct results`);
      }
      const extra = [...(distinct.get(id)?.keys() ?? [])].filter(
        (ns) => !this.#namespaces.includes(ns),
      );
      if (extra.length > 0) problems.push(`${id}: results on unexpected ${extra.join(", ")}`);
    }
    return problems;
  }

  /** Waits until every expected signal has a result on every namespace. */
  async waitForAll(timeoutMs: number, ids: readonly string[] = this.signalIds): Promise<void> {
    await this.#recorder.waitFor(
      () => this.completed(ids) === ids.length,
      timeoutMs,
      `results of ${ids.length} signals on ${this.#namespaces.join(" and ")} (have ${this.completed(ids)})`,
    );
  }

  /**
   * Problems of order within a key: on `topic`, the first result of each signal must come in the
   * order its signals were produced.
   */
  orderProblems(
    topic: string,
    signalsByKey: ReadonlyMap<string, readonly string[]>,
    /** Signals exempt from the check (their place in the order is not asserted). */
    exempt: ReadonlySet<string> = new Set(),
  ): string[] {
    const problems: string[] = [];
    const firstSeen = new Map<string, string[]>();
    const seen = new Set<string>();
    for (const message of this.results()) {
      if (message.topic !== topic) continue;
      const signal = String(message.json.causation_id);
      if (seen.has(signal) || exempt.has(signal)) continue;
      seen.add(signal);
      const key = message.key ?? "";
      const list = firstSeen.get(key);
      if (list) list.push(signal);
      else firstSeen.set(key, [signal]);
    }
    for (const [key, produced] of signalsByKey) {
      const observed = firstSeen.get(key) ?? [];
      const expected = produced.filter((id) => seen.has(id));
      if (observed.join() !== expected.join()) {
        const at = observed.findIndex((id, index) => id !== expected[index]);
        const positions = observed
          .slice(Math.max(0, at - 3), at + 8)
          .map((id) => expected.indexOf(id));
        problems.push(
          `key ${key}: results out of signal order from position ${at} (${observed.length} results; signal positions from ${Math.max(0, at - 3)}: ${positions.join(" ")})`,
        );
      }
    }
    return problems;
  }

  /** A summary for failure messages. */
  describe(ids: readonly string[] = this.signalIds): string {
    const problems = this.problems(ids);
    return `${this.completed(ids)}/${ids.length} signals complete; ${problems.length} problems${
      problems.length > 0 ? `:\n  ${problems.slice(0, 20).join("\n  ")}` : ""
    }`;
  }
}
