import { type Clock, isoNow, MARKET_TICKS_TOPIC, newEventId } from "@engine/core";
import type { OutboundMessage } from "../transport/transport.js";

/** A handful of NSE instruments with realistic prices, for the embedded default. */
export const DEMO_INSTRUMENTS = [
  { token: 738561, symbol: "RELIANCE", price: 2500 },
  { token: 408065, symbol: "INFY", price: 1500 },
  { token: 2953217, symbol: "TCS", price: 3500 },
  { token: 341249, symbol: "HDFCBANK", price: 1650 },
  { token: 779521, symbol: "SBIN", price: 800 },
] as const;

export const DEMO_STRATEGY_ID = "demo_random_walk";

export interface SimulatorOptions {
  publish(messages: OutboundMessage[]): Promise<void>;
  clock: Clock;
  /** Where the demo strategy's validated signals go. */
  signalTopic: string;
  /** Where ticks go. Default: `market.ticks`. */
  tickTopic?: string;
  tickIntervalMs?: number;
  signalIntervalMs?: number;
  random?: () => number;
}

/**
 * Random-walk ticks (full mode, with depth) for the demo instruments and a demo strategy whose
 * signals arrive already validated, as the risk manager would send them. It feeds the embedded
 * engine through the same topics and contract as production.
 */
export class MarketSimulator {
  readonly #o: SimulatorOptions;
  readonly #random: () => number;
  readonly #prices = new Map<number, number>(DEMO_INSTRUMENTS.map((i) => [i.token, i.price]));
  #timers: ReturnType<typeof setInterval>[] = [];

  constructor(options: SimulatorOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  start(): void {
    this.#timers = [
      setInterval(() => void this.#o.publish(this.ticks()), this.#o.tickIntervalMs ?? 250),
      setInterval(() => void this.#o.publish([this.signal()]), this.#o.signalIntervalMs ?? 1_000),
    ];
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  /** One tick per instrument, each price moved by a small random step on the 0.05 grid. */
  ticks(): OutboundMessage[] {
    return DEMO_INSTRUMENTS.map(({ token }) => {
      const previous = this.#prices.get(token) ?? 100;
      const step = Math.round((this.#random() - 0.5) * previous * 0.002 * 20) / 20;
      const price = Math.max(0.05, Math.round((previous + step) * 20) / 20);
      this.#prices.set(token, price);
      const ts = isoNow(this.#o.clock);
      const id = newEventId();
      const levels = (side: 1 | -1) =>
        [1, 2, 3, 4, 5].map((level) => ({
          price: Math.round((price + side * level * 0.05) * 100) / 100,
          quantity: Math.ceil(this.#random() * 500),
          orders: Math.ceil(this.#random() * 10),
        }));
      const event = {
        id,
        type: "market_tick",
        ts,
        key: String(token),
        source: "market_simulator",
        broker: "shared",
        version: 1,
        correlation_id: id,
        causation_id: null,
        trace_id: id,
        parent_trace_id: null,
        data: {
          instrument_token: token,
          last_price: price,
          timestamp: ts,
          volume_traded: Math.floor(this.#random() * 1e6),
          depth: { buy: levels(-1), sell: levels(1) },
          mode: "full",
          tradable: true,
        },
      };
      const topic = this.#o.tickTopic ?? MARKET_TICKS_TOPIC;
      return { topic, key: String(token), value: JSON.stringify(event) };
    });
  }

  /** A validated BUY or SELL from the demo strategy. */
  signal(): OutboundMessage {
    const instrument =
      DEMO_INSTRUMENTS[Math.floor(this.#random() * DEMO_INSTRUMENTS.length)] ?? DEMO_INSTRUMENTS[0];
    const price = this.#prices.get(instrument.token) ?? instrument.price;
    const quantity = 1 + Math.floor(this.#random() * 10);
    const ts = isoNow(this.#o.clock);
    const id = newEventId();
    const key = `${DEMO_STRATEGY_ID}:${instrument.token}`;
    const event = {
      id,
      type: "validated_signal",
      ts,
      key,
      source: "risk_manager",
      broker: "paper",
      version: 1,
      correlation_id: newEventId(),
      causation_id: null,
      trace_id: newEventId(),
      parent_trace_id: null,
      data: {
        original_signal: {
          strategy_id: DEMO_STRATEGY_ID,
          instrument_token: instrument.token,
          signal_type: this.#random() < 0.5 ? "BUY" : "SELL",
          quantity,
          price,
          timestamp: ts,
          confidence: Math.round(this.#random() * 100) / 100,
          metadata: { symbol: instrument.symbol },
        },
        validated_quantity: quantity,
        validated_price: price,
        risk_checks: { max_position: true, max_order_value: true },
        timestamp: ts,
      },
    };
    return { topic: this.#o.signalTopic, key, value: JSON.stringify(event) };
  }
}
