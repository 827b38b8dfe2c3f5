import {
  type Clock,
  type EnvelopeLineage,
  type ExecutionResult,
  ExecutionResultSchema,
  type Logger,
  type OrderPlaced,
  type SignalToExecute,
  type TopicMap,
  type TraderRegistry,
  ValidatedSignalSchema,
} from "@engine/core";
import {
  type ExecutionJournal,
  type ExecutionKey,
  executionKey,
  type OpenOrder,
} from "../journal/execution-journal.js";
import type { EngineMetrics } from "../observability/metrics.js";
import type { OutboundMessage } from "../transport/transport.js";
import { resultEvent } from "./result-events.js";

/** A live execution still running after the pipeline's timeout, to finish in the background. */
export interface PendingExecution extends ExecutionKey {
  signal: SignalToExecute;
  lineage: EnvelopeLineage;
  attempt: Promise<ExecutionResult>;
}

/** What identifies an execution and its signal. */
interface PlacedOrderKey extends ExecutionKey {
  signal: SignalToExecute;
  lineage: EnvelopeLineage;
}

/** An order a live broker accepted, to follow until its end. */
export interface PlacedOrder extends ExecutionKey {
  signal: SignalToExecute;
  lineage: EnvelopeLineage;
  placed: OrderPlaced;
}

export interface OrderFollowerOptions {
  registry: TraderRegistry;
  journal: ExecutionJournal;
  outputTopics(namespace: string): TopicMap;
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
  /** How often leases are renewed and orphaned orders looked for. */
  leaseRenewMs: number;
  retryDelayMs?: { initial: number; max: number };
}

/**
 * Follows orders a live broker accepted until the broker says how they ended, then journals and
 * publishes that result. Orders survive the engine: the journal keeps them open, and at start
 * (or when another instance's lease runs out) they are picked up again.
 */
export class OrderFollower {
  readonly #o: OrderFollowerOptions;
  readonly #following = new Map<string, { key: ExecutionKey; done: Promise<void> }>();
  readonly #abort = new AbortController();
  readonly #retry: { initial: number; max: number };
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: OrderFollowerOptions) {
    this.#o = options;
    this.#retry = options.retryDelayMs ?? { initial: 500, max: 15_000 };
  }

  /** Namespaces whose traders follow their orders. */
  #followingNamespaces(): string[] {
    return this.#o.registry
      .namespaces()
      .filter((namespace) => typeof this.#traderOf(namespace)?.awaitOrderCompletion === "function");
  }

  /** Namespaces whose traders can reconcile an interrupted execution with their broker. */
  #recoveringNamespaces(): string[] {
    return this.#o.registry
      .namespaces()
      .filter((namespace) => typeof this.#traderOf(namespace)?.recoverOrder === "function");
  }

  /** Picks up open orders, then keeps leases alive and adopts orphans periodically. */
  async start(): Promise<void> {
    await this.#adoptOpenOrders();
    this.#timer = setInterval(() => void this.#maintain(), this.#o.leaseRenewMs);
    this.#timer.unref();
  }

  /** Stops following; open orders stay open in the journal for the next start. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#abort.abort();
    await Promise.allSettled([...this.#following.values()].map((entry) => entry.done));
  }

  /** Number of orders being followed now. */
  get size(): number {
    return this.#following.size;
  }

  follow(order: PlacedOrder): void {
    if (!this.#following.has(executionKey(order))) this.#track(order, () => this.#run(order));
  }

  /**
   * Takes over an execution the pipeline stopped waiting for: its result is journaled and
   * published when the trader answers; if the trader fails, the order is reconciled with the
   * broker (`recoverOrder`). Placed orders are then followed as usual.
   */
  settleLater(pending: PendingExecution): void {
    if (!this.#following.has(executionKey(pending))) {
      this.#track(pending, () => this.#settle(pending));
    }
  }

  /** Runs one background task per execution, remembered until it ends. */
  #track(key: ExecutionKey, run: () => Promise<void>): void {
    if (this.#abort.signal.aborted) return;
    const id = executionKey(key);
    const entry = {
      key: { signalId: key.signalId, namespace: key.namespace },
      done: Promise.resolve(),
    };
    this.#following.set(id, entry);
    entry.done = run().finally(() => {
      // A settled execution hands over to its follow task under the same key.
      if (this.#following.get(id) === entry) this.#following.delete(id);
    });
  }

  async #settle(pending: PendingExecution): Promise<void> {
    const log = this.#o.logger.child({ signal_id: pending.signalId, namespace: pending.namespace });
    let attempt = pending.attempt;
    let delay = this.#retry.initial;
    while (!this.#abort.signal.aborted) {
      try {
        const result = ExecutionResultSchema.parse(await attempt);
        await this.#complete(pending, result, log);
        return;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        log.warn(
          { err: error instanceof Error ? error.message : String(error), retry_in_ms: delay },
          "execution failed after the timeout: reconciling with the broker",
        );
        await sleep(delay, this.#abort.signal);
        delay = Math.min(delay * 2, this.#retry.max);
        const trader = this.#traderOf(pending.namespace);
        if (!trader?.recoverOrder) return;
        attempt = trader.recoverOrder(pending.signal, null);
      }
    }
  }

  /** Journals and publishes the first result of an execution, then follows a placed order. */
  async #complete(
    pending: PendingExecution | PlacedOrderKey,
    result: ExecutionResult,
    log: Logger,
  ): Promise<void> {
    const event = resultEvent(
      pending.lineage,
      pending.namespace,
      result,
      this.#o.outputTopics(pending.namespace),
      this.#o.clock,
    );
    const follow =
      result.kind === "placed" &&
      typeof this.#traderOf(pending.namespace)?.awaitOrderCompletion === "function";
    const errorCode = result.kind === "failed" ? result.payload.error_code : null;
    const stored = (
      await this.#o.journal.complete([
        {
          signalId: pending.signalId,
          namespace: pending.namespace,
          follow,
          outcome: result.kind,
          errorCode,
          orderId: result.payload.order_id === "N/A" ? null : result.payload.order_id,
          events: [event],
        },
      ])
    ).get(executionKey(pending));
    if (!stored?.ours) return;
    await this.#o.publish(
      stored.events.map((e) => ({ topic: e.topic, key: e.key, value: JSON.stringify(e.event) })),
    );
    this.#o.metrics.results.inc({
      namespace: pending.namespace,
      outcome: result.kind,
      error_code: errorCode ?? "",
    });
    log.info({ outcome: result.kind, order_id: result.payload.order_id }, `order ${result.kind}`);
    if (follow && result.kind === "placed") {
      const placed = result.payload;
      this.#track(pending, () => this.#run({ ...pending, placed }));
    }
  }

  async #run(order: PlacedOrder): Promise<void> {
    const log = this.#o.logger.child({
      signal_id: order.signalId,
      namespace: order.namespace,
      order_id: order.placed.order_id,
    });
    let delay = this.#retry.initial;
    while (!this.#abort.signal.aborted) {
      try {
        const trader = this.#o.registry.get(order.namespace);
        if (!trader.awaitOrderCompletion) return;
        const result = ExecutionResultSchema.parse(
          await trader.awaitOrderCompletion(order.signal, order.placed, this.#abort.signal),
        );
        await this.#finish(order, result, log);
        return;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        log.warn(
          { err: error instanceof Error ? error.message : String(error), retry_in_ms: delay },
          "following the order failed: trying again",
        );
        await sleep(delay, this.#abort.signal);
        delay = Math.min(delay * 2, this.#retry.max);
      }
    }
  }

  async #finish(order: PlacedOrder, result: ExecutionResult, log: Logger): Promise<void> {
    const event = resultEvent(
      order.lineage,
      order.namespace,
      result,
      this.#o.outputTopics(order.namespace),
      this.#o.clock,
    );
    const errorCode = result.kind === "failed" ? result.payload.error_code : null;
    const owned = await this.#o.journal.settle(order, result.kind, errorCode, event);
    if (!owned) {
      log.warn({}, "another instance took the order over: leaving its end to it");
      return;
    }
    await this.#publishSettled(order, [event]);
    this.#o.metrics.results.inc({
      namespace: order.namespace,
      outcome: result.kind,
      error_code: errorCode ?? "",
    });
    log.info(
      { outcome: result.kind, ...(errorCode ? { error_code: errorCode } : {}) },
      `order ${result.kind}`,
    );
  }

  async #publishSettled(key: ExecutionKey, events: OpenOrder["events"]): Promise<void> {
    await this.#o.publish(
      events.map((event) => ({
        topic: event.topic,
        key: event.key,
        value: JSON.stringify(event.event),
      })),
    );
    await this.#o.journal.markPublished(key);
  }

  async #maintain(): Promise<void> {
    try {
      await this.#o.journal.renewLeases([...this.#following.values()].map((entry) => entry.key));
      await this.#adoptOpenOrders();
    } catch (error) {
      this.#o.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "order follower maintenance failed: will try again",
      );
    }
  }

  async #adoptOpenOrders(): Promise<void> {
    const open = await this.#o.journal.claimOpenOrders(
      this.#followingNamespaces(),
      this.#recoveringNamespaces(),
    );
    // In the order the signals were read, so each key's results keep their signals' order.
    open.sort((a, b) =>
      a.source.partition !== b.source.partition
        ? a.source.partition - b.source.partition
        : Number(a.source.offset - b.source.offset),
    );
    const previousOfKey = new Map<string, Promise<void>>();
    for (const order of open) {
      if (this.#following.has(executionKey(order))) continue;
      const data = ValidatedSignalSchema.safeParse(order.envelope.data);
      if (order.status === "in_flight") {
        const trader = this.#traderOf(order.namespace);
        if (!trader?.recoverOrder || !data.success) continue;
        this.#o.logger.info(
          { signal_id: order.signalId, namespace: order.namespace },
          "reconciling an execution left in flight",
        );
        const recover = trader.recoverOrder.bind(trader);
        const signal = { id: order.envelope.id, data: data.data };
        const original = data.data.original_signal;
        const key = `${order.namespace}\u0000${original.strategy_id}:${original.instrument_token}`;
        const previous = previousOfKey.get(key) ?? Promise.resolve();
        this.settleLater({
          signalId: order.signalId,
          namespace: order.namespace,
          signal,
          lineage: order.envelope,
          // One after the other within a key: recovering them at once could publish out of order.
          attempt: previous.then(() => recover(signal, null)),
        });
        const settling = this.#following.get(executionKey(order))?.done;
        if (settling) previousOfKey.set(key, settling);
        continue;
      }
      if (order.status === "settled") {
        // Its end was stored but the engine stopped before publishing it: publish it now.
        await this.#publishSettled(order, order.events.slice(-1));
        continue;
      }
      const placed = order.events.find((event) => event.event.type === "order_placed");
      if (!placed || !data.success) {
        this.#o.logger.error(
          { signal_id: order.signalId, namespace: order.namespace },
          "open order without its placement or signal in the journal: cannot follow it",
        );
        continue;
      }
      this.#o.logger.info(
        { signal_id: order.signalId, namespace: order.namespace },
        "picking up an open order from the journal",
      );
      this.follow({
        signalId: order.signalId,
        namespace: order.namespace,
        signal: { id: order.envelope.id, data: data.data },
        lineage: order.envelope,
        placed: placed.event.data as OrderPlaced,
      });
    }
  }

  #traderOf(namespace: string) {
    try {
      return this.#o.registry.get(namespace);
    } catch {
      return undefined;
    }
  }
}

function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    abort.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
