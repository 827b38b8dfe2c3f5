import { parseJson, type TradingControl } from "@engine/core";
import { z } from "zod";
import type { PublishedResult } from "../execution/result-publisher.js";
import type { OutboundMessage } from "../transport/transport.js";

/** Where an execution stands on the blotter. */
export const BLOTTER_STATES = ["placed", "filled", "partially_filled", "failed"] as const;
/** One of `BLOTTER_STATES`. */
export type BlotterState = (typeof BLOTTER_STATES)[number];

/**
 * One execution (a signal on one namespace) as the blotter shows it, after its latest result.
 * Quantities in units, prices and fees in rupees, `latency_ms` from the signal's batch being read
 * to this result (null for an execution taken over from another instance).
 */
export interface BlotterRow {
  /** Increases with every update of any row: newest first is highest first. */
  seq: number;
  signal_id: string;
  namespace: string;
  strategy_id: string;
  instrument_token: number;
  side: string;
  state: BlotterState;
  /** The engine's execution status (`accepted`, `filled`, `cancelled`...). */
  status: string;
  quantity: number;
  filled_quantity: number;
  /** The fill's average price once filled; else the order's limit price; null for market orders. */
  price: number | null;
  fees: number | null;
  order_id: string | null;
  error_code: string | null;
  error_message: string | null;
  latency_ms: number | null;
  /** The latest result's time, ISO-8601. */
  at: string;
}

/** A message set aside to a dead-letter topic, with why. */
export interface DeadLetterRow {
  seq: number;
  topic: string;
  original_topic: string | null;
  original_partition: number | null;
  original_offset: string | null;
  error: string;
  failed_at: string | null;
}

/** One signal-to-fill latency: when the fill went out (epoch ms), how long it took (ms). */
export interface LatencyPoint {
  t: number;
  latency_ms: number;
  namespace: string;
}

/** What the console's live stream carries. */
export type ActivityEvent =
  | { type: "execution"; row: BlotterRow }
  | { type: "dead_letter"; letter: DeadLetterRow }
  | { type: "control"; control: TradingControl };

export interface BlotterFilter {
  strategy_id?: string;
  namespace?: string;
  state?: BlotterState;
  limit?: number;
}

export interface RecentActivityOptions {
  /** Executions kept (the least recently updated are dropped first). Default 500. */
  executions?: number;
  /** Dead letters kept. Default 100. */
  deadLetters?: number;
  /** How far back the latency series reaches, ms. Default 15 minutes. */
  latencyWindowMs?: number;
  /** The latency points kept at most, whatever their age. Default 5,000. */
  latencyPoints?: number;
  /** Epoch ms now. */
  now(): number;
}

const DeadLetterSchema = z.looseObject({
  original_topic: z.string().optional(),
  original_partition: z.number().optional(),
  original_offset: z.string().optional(),
  error: z.string().optional(),
  failed_at: z.string().optional(),
});

/**
 * What this instance did lately, in memory, for the console: the latest state of its recent
 * executions (bounded), its recent dead letters, the signal-to-fill latencies of the last minutes,
 * and listeners told each change as it happens. Lost at restart by design: the journal is the
 * record; this is the live view.
 */
export class RecentActivity {
  readonly #executions = new Map<string, BlotterRow>();
  readonly #deadLetters: DeadLetterRow[] = [];
  readonly #latency: LatencyPoint[] = [];
  readonly #listeners = new Set<(event: ActivityEvent) => void>();
  readonly #capacity: number;
  readonly #deadLetterCapacity: number;
  readonly #latencyWindowMs: number;
  readonly #latencyPoints: number;
  readonly #now: () => number;
  #seq = 0;

  constructor(options: RecentActivityOptions) {
    this.#capacity = options.executions ?? 500;
    this.#deadLetterCapacity = options.deadLetters ?? 100;
    this.#latencyWindowMs = options.latencyWindowMs ?? 15 * 60_000;
    this.#latencyPoints = options.latencyPoints ?? 5_000;
    this.#now = options.now;
  }

  /** Applies a result to its execution's row (a new row for a new execution) and tells listeners. */
  recordResult(result: PublishedResult): BlotterRow {
    const key = `${result.signalId}\u0000${result.namespace}`;
    const row = blotterRow(++this.#seq, result);
    // Re-inserted at the end: the map's order is the order of updates, oldest first.
    this.#executions.delete(key);
    this.#executions.set(key, row);
    while (this.#executions.size > this.#capacity) {
      const oldest = this.#executions.keys().next().value;
      if (oldest === undefined) break;
      this.#executions.delete(oldest);
    }
    if (result.type === "order_filled" && result.latencyMs !== null) {
      this.#latency.push({
        t: this.#now(),
        latency_ms: Math.round(result.latencyMs * 100) / 100,
        namespace: result.namespace,
      });
      this.#trimLatency();
    }
    this.#emit({ type: "execution", row });
    return row;
  }

  /** Keeps a dead letter the engine published (its JSON body as the contract has it). */
  recordDeadLetter(message: OutboundMessage): DeadLetterRow {
    const parsed = parseJson(message.value);
    const body = parsed.ok ? DeadLetterSchema.safeParse(parsed.value) : null;
    const fields = body?.success ? body.data : {};
    const letter: DeadLetterRow = {
      seq: ++this.#seq,
      topic: message.topic,
      original_topic: fields.original_topic ?? null,
      original_partition: fields.original_partition ?? null,
      original_offset: fields.original_offset ?? null,
      error: fields.error ?? "(no reason given)",
      failed_at: fields.failed_at ?? null,
    };
    this.#deadLetters.push(letter);
    if (this.#deadLetters.length > this.#deadLetterCapacity) this.#deadLetters.shift();
    this.#emit({ type: "dead_letter", letter });
    return letter;
  }

  /** Tells listeners a change of trading state (nothing is kept: the control board has them). */
  recordControl(control: TradingControl): void {
    this.#emit({ type: "control", control });
  }

  /** Rows matching the filter, newest first, at most `limit` (default all). */
  executions(filter: BlotterFilter = {}): BlotterRow[] {
    const rows: BlotterRow[] = [];
    for (const row of [...this.#executions.values()].reverse()) {
      if (filter.strategy_id !== undefined && row.strategy_id !== filter.strategy_id) continue;
      if (filter.namespace !== undefined && row.namespace !== filter.namespace) continue;
      if (filter.state !== undefined && row.state !== filter.state) continue;
      rows.push(row);
      if (filter.limit !== undefined && rows.length >= filter.limit) break;
    }
    return rows;
  }

  /** Dead letters kept, newest first. */
  deadLetters(): DeadLetterRow[] {
    return [...this.#deadLetters].reverse();
  }

  /** Signal-to-fill latencies within the window, oldest first. */
  latency(): LatencyPoint[] {
    this.#trimLatency();
    return [...this.#latency];
  }

  /** Tells `listener` every change from now on; returns how to stop. */
  subscribe(listener: (event: ActivityEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #trimLatency(): void {
    const since = this.#now() - this.#latencyWindowMs;
    let drop = 0;
    while (drop < this.#latency.length && (this.#latency[drop]?.t ?? since) < since) drop += 1;
    drop = Math.max(drop, this.#latency.length - this.#latencyPoints);
    if (drop > 0) this.#latency.splice(0, drop);
  }

  #emit(event: ActivityEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener that throws is a closed stream: it is dropped, the others still hear.
        this.#listeners.delete(listener);
      }
    }
  }
}

/** The blotter's view of a result: its state, and the price and fees that matter for it. */
export function blotterRow(seq: number, result: PublishedResult): BlotterRow {
  const data = result.data;
  const failed = result.type === "order_failed";
  const filled = result.type === "order_filled";
  const state: BlotterState = failed
    ? "failed"
    : filled
      ? result.filledQuantity < result.quantity
        ? "partially_filled"
        : "filled"
      : "placed";
  const fillPrice = typeof data.fill_price === "number" ? data.fill_price : null;
  return {
    seq,
    signal_id: result.signalId,
    namespace: result.namespace,
    strategy_id: result.strategyId,
    instrument_token: result.instrumentToken,
    side: result.signalType,
    state,
    status: result.status,
    quantity: result.quantity,
    filled_quantity: result.filledQuantity,
    price: fillPrice ?? result.averagePrice ?? result.limitPrice,
    fees: typeof data.fees === "number" ? data.fees : null,
    order_id: result.orderId,
    error_code: failed ? String(data.error_code ?? "") : null,
    error_message: failed ? String(data.error_message ?? "") : null,
    latency_ms: result.latencyMs === null ? null : Math.round(result.latencyMs * 100) / 100,
    at: result.ts,
  };
}
