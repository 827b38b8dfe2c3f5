import { randomUUID } from "node:crypto";

export interface SignalInput {
  strategyId: string;
  instrumentToken?: number;
  signalType?: "BUY" | "SELL" | "HOLD";
  quantity?: number;
  price?: number | null;
  id?: string;
  /** When the risk manager validated it (the envelope's `ts` and the signal's timestamps); now by default. */
  at?: Date;
}

/** A `validated_signal` envelope as the risk manager publishes it. */
export function validatedSignal(input: SignalInput) {
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

/** A `market_tick` envelope with depth. */
export function marketTick(instrumentToken: number, lastPrice: number) {
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

/** Kafka message of an event keyed as the platform keys it. */
export function asMessage(event: { key: string }) {
  return { key: event.key, value: JSON.stringify(event) };
}
