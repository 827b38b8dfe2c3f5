// Realistic messages in the platform's wire format (../shared/contract): full-mode market ticks
// of about 1.27 KB (OHLC, five depth levels a side) and validated signals.
import { randomUUID } from "node:crypto";
// A deterministic generator, so every run sends the same ticks.
import { seededRandom } from "../../packages/core/dist/testing/seeded-random.js";

/** Instrument tokens, spread like NSE's. */
export function instrumentTokens(count) {
  return Array.from({ length: count }, (_, i) => 100_000 + i * 257);
}

const round = (value, step = 0.05) => Number((Math.round(value / step) * step).toFixed(2));

/**
 * Makes full-mode ticks as the market feed writes them. `tick(token, at)` returns the JSON text;
 * prices walk randomly per instrument.
 */
export function tickFactory(seed = 42) {
  const random = seededRandom(seed);
  const hex = (length) => {
    let out = "";
    for (let i = 0; i < length; i += 1) out += Math.floor(random() * 16).toString(16);
    return out;
  };
  const uuid7 = () => `0193a2c4-${hex(4)}-7${hex(3)}-8${hex(3)}-${hex(12)}`;
  const last = new Map();
  return function tick(token, at = Date.now()) {
    const previous = last.get(token) ?? 100 + random() * 4900;
    const price = round(Math.max(1, previous * (1 + (random() - 0.5) * 0.002)));
    last.set(token, price);
    const ts = new Date(at).toISOString();
    const level = (side, i) => ({
      price: round(side === "buy" ? price - 0.05 * (i + 1) : price + 0.05 * (i + 1)),
      quantity: 1 + Math.floor(random() * 5000),
      orders: 1 + Math.floor(random() * 40),
    });
    const id = uuid7();
    return JSON.stringify({
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
        average_traded_price: round(price * (0.99 + random() * 0.02)),
        total_buy_quantity: Math.floor(random() * 1e6),
        total_sell_quantity: Math.floor(random() * 1e6),
        ohlc: {
          open: round(price * 0.99),
          high: round(price * 1.01),
          low: round(price * 0.98),
          close: round(price * 0.995),
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
    });
  };
}

/** A pool of `size` ticks over `instruments` instruments, round robin, as Kafka messages. */
export function tickPool(size, instruments, seed = 42) {
  const tick = tickFactory(seed);
  const tokens = instrumentTokens(instruments);
  const start = Date.UTC(2026, 10, 23, 3, 45, 0);
  return Array.from({ length: size }, (_, i) => {
    const token = tokens[i % tokens.length];
    return { key: String(token), value: Buffer.from(tick(token, start + i)) };
  });
}

/**
 * A validated signal as the risk manager writes it, BUY or SELL, on one of `tokens`. The id is a
 * fresh UUID: the engine journals it and matches its results by `causation_id`.
 */
export function validatedSignal({ strategyId, token, side, quantity = 1, price = 100 }) {
  const id = randomUUID();
  const now = new Date().toISOString();
  const key = `${strategyId}:${token}`;
  const event = {
    id,
    type: "validated_signal",
    ts: now,
    key,
    source: "risk_manager",
    broker: "paper",
    version: 1,
    correlation_id: id,
    causation_id: null,
    trace_id: id,
    parent_trace_id: null,
    data: {
      original_signal: {
        strategy_id: strategyId,
        instrument_token: token,
        signal_type: side,
        quantity,
        price,
        timestamp: now,
        confidence: 0.8,
        metadata: null,
      },
      validated_quantity: quantity,
      validated_price: price,
      risk_checks: { max_position: true, max_order_value: true },
      timestamp: now,
    },
  };
  return { id, key, value: JSON.stringify(event) };
}
