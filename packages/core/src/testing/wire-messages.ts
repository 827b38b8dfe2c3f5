// Messages in the platform's wire format (`../shared/contract/`), as the risk manager and the
// market feed write them: the engine's integration tests and the bench (`bench/`) both send these,
// so the two exercise the same bytes.
import { randomUUID } from "node:crypto";
import type { MarketTickEvent, ValidatedSignalEvent } from "../events/envelope.js";
import type { SignalType } from "../events/payloads.js";
import { seededRandom } from "./seeded-random.js";

/** What `validatedSignalEvent` lets a caller choose; the rest is a BUY of 10 at 2,501.5 rupees. */
export interface ValidatedSignalEventInput {
  /** The strategy's id; the event's key is `{strategyId}:{instrumentToken}`. */
  strategyId: string;
  /** Kite's instrument token; 738561 (RELIANCE) by default. */
  instrumentToken?: number;
  /** `"BUY"` by default. */
  signalType?: SignalType;
  /** Shares, both asked and validated; 10 by default. */
  quantity?: number;
  /** Rupees, both asked and validated, or null for a market order; 2501.5 by default. */
  price?: number | null;
  /** The event id (the engine's idempotency key); a fresh UUID by default. */
  id?: string;
  /** When the risk manager validated it (the envelope's `ts` and the signal's timestamps); now by default. */
  at?: Date;
}

/**
 * A `validated_signal` event as the risk manager publishes it. Its lineage is derived from its id:
 * `correlation_id` `corr-{id}`, `causation_id` `cause-{id}`, `trace_id` `trace-{id}`; the engine's
 * results of it carry the id itself as their `causation_id`.
 */
export function validatedSignalEvent(input: ValidatedSignalEventInput): ValidatedSignalEvent {
  const id = input.id ?? randomUUID();
  const token = input.instrumentToken ?? 738561;
  const quantity = input.quantity ?? 10;
  const price = input.price === undefined ? 2501.5 : input.price;
  const ts = (input.at ?? new Date()).toISOString();
  return {
    id,
    type: "validated_signal",
    ts,
    key: `${input.strategyId}:${token}`,
    source: "risk_manager",
    broker: "paper",
    version: 1,
    correlation_id: `corr-${id}`,
    causation_id: `cause-${id}`,
    trace_id: `trace-${id}`,
    parent_trace_id: `cause-${id}`,
    data: {
      original_signal: {
        strategy_id: input.strategyId,
        instrument_token: token,
        signal_type: input.signalType ?? "BUY",
        quantity,
        price,
        timestamp: ts,
        confidence: 0.8,
        metadata: null,
      },
      validated_quantity: quantity,
      validated_price: price,
      risk_checks: { max_position: true },
      timestamp: ts,
    },
  };
}

/**
 * A small `market_tick` event dated now: `lastPrice` (rupees) on `instrumentToken` with one depth
 * level a side, 0.05 rupees either side of it (100 shares each).
 */
export function marketTickEvent(instrumentToken: number, lastPrice: number): MarketTickEvent {
  const id = randomUUID();
  const ts = new Date().toISOString();
  return {
    id,
    type: "market_tick",
    ts,
    key: String(instrumentToken),
    source: "market_feed",
    broker: "shared",
    version: 1,
    correlation_id: id,
    causation_id: null,
    trace_id: id,
    parent_trace_id: null,
    data: {
      instrument_token: instrumentToken,
      last_price: lastPrice,
      timestamp: ts,
      depth: {
        buy: [{ price: lastPrice - 0.05, quantity: 100, orders: 2 }],
        sell: [{ price: lastPrice + 0.05, quantity: 100, orders: 3 }],
      },
    },
  };
}

/** A Kafka message of `event`, keyed as the platform keys it: `{ key, value }`, value its JSON text. */
export function asKafkaMessage(event: { key: string }): { key: string; value: string } {
  return { key: event.key, value: JSON.stringify(event) };
}

/** `count` instrument tokens spread like NSE's: 100000, 100257, 100514, ... */
export function instrumentTokens(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 100_000 + i * 257);
}

/**
 * Makes one full-mode tick's JSON text for `token` at `at` (ms since the epoch; now by default).
 * See `fullTickFactory`.
 */
export type FullTick = (token: number, at?: number) => string;

const roundTo = (value: number, step = 0.05) =>
  Number((Math.round(value / step) * step).toFixed(2));

/**
 * Makes full-mode ticks as the market feed writes them, about 1.27 KB each (OHLC, volumes, five
 * depth levels a side). Each instrument's price walks randomly from a start in [100, 5000)
 * rupees; the sequence is `seededRandom(seed)`'s, so the same calls give the same bytes on every
 * run.
 */
export function fullTickFactory(seed = 42): FullTick {
  const random = seededRandom(seed);
  const hex = (length: number) => {
    let out = "";
    for (let i = 0; i < length; i += 1) out += Math.floor(random() * 16).toString(16);
    return out;
  };
  const uuid7 = () => `0193a2c4-${hex(4)}-7${hex(3)}-8${hex(3)}-${hex(12)}`;
  const last = new Map<number, number>();
  return function tick(token, at = Date.now()) {
    const previous = last.get(token) ?? 100 + random() * 4900;
    const price = roundTo(Math.max(1, previous * (1 + (random() - 0.5) * 0.002)));
    last.set(token, price);
    const ts = new Date(at).toISOString();
    const level = (side: "buy" | "sell", i: number) => ({
      price: roundTo(side === "buy" ? price - 0.05 * (i + 1) : price + 0.05 * (i + 1)),
      quantity: 1 + Math.floor(random() * 5000),
      orders: 1 + Math.floor(random() * 40),
    });
    const id = uuid7();
    const event: MarketTickEvent = {
      id,
      type: "market_tick",
      ts: ts.replace("Z", "+00:00"),
      key: String(token),
      source: "market_feed",
      broker: "shared",
      version: 1,
      correlation_id: id,
      causation_id: null,
      trace_id: uuid7(),
      parent_trace_id: null,
      data: {
        instrument_token: token,
        last_price: price,
        timestamp: ts,
        volume_traded: Math.floor(random() * 5e6),
        last_traded_quantity: 1 + Math.floor(random() * 500),
        average_traded_price: roundTo(price * (0.99 + random() * 0.02)),
        total_buy_quantity: Math.floor(random() * 1e6),
        total_sell_quantity: Math.floor(random() * 1e6),
        ohlc: {
          open: roundTo(price * 0.99),
          high: roundTo(price * 1.01),
          low: roundTo(price * 0.98),
          close: roundTo(price * 0.995),
        },
        change: Math.round((random() * 4 - 2) * 1e4) / 1e4,
        last_trade_time: ts,
        oi: 0,
        oi_day_high: 0,
        oi_day_low: 0,
        exchange_timestamp: ts,
        depth: {
          buy: Array.from({ length: 5 }, (_, i) => level("buy", i)),
          sell: Array.from({ length: 5 }, (_, i) => level("sell", i)),
        },
        mode: "full",
        tradable: true,
      },
    };
    return JSON.stringify(event);
  };
}

/**
 * `size` full-mode ticks as Kafka messages (`{ key, value }`, value the JSON bytes), round robin
 * over `instrumentTokens(instruments)`, one millisecond apart from 2026-11-23 03:45:00 UTC (the
 * market's open); from `fullTickFactory(seed)`.
 */
export function fullTickPool(
  size: number,
  instruments: number,
  seed = 42,
): { key: string; value: Buffer }[] {
  const tick = fullTickFactory(seed);
  const tokens = instrumentTokens(instruments);
  const start = Date.UTC(2026, 10, 23, 3, 45, 0);
  return Array.from({ length: size }, (_, i) => {
    const token = tokens[i % tokens.length] as number;
    return { key: String(token), value: Buffer.from(tick(token, start + i)) };
  });
}
