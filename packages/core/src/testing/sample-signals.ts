import type { MarketQuote } from "../events/market-tick-decoder.js";
import type { SignalType, ValidatedSignal } from "../events/payloads.js";
import type { SignalToExecute } from "../trading/execution-result.js";

/** What `sampleSignal` lets a test choose; the rest is a realistic BUY of 10 shares at 2,501.5. */
export interface SampleSignalOptions {
  id?: string;
  strategyId?: string;
  instrumentToken?: number;
  signalType?: SignalType;
  quantity?: number;
  validatedQuantity?: number;
  price?: number | null;
  validatedPrice?: number | null;
}

/** A realistic validated signal to feed a trader in tests. */
export function sampleSignal(options: SampleSignalOptions = {}): SignalToExecute {
  const quantity = options.quantity ?? 10;
  const price = options.price === undefined ? 2501.5 : options.price;
  const data: ValidatedSignal = {
    original_signal: {
      strategy_id: options.strategyId ?? "momentum_nifty_1",
      instrument_token: options.instrumentToken ?? 738561,
      signal_type: options.signalType ?? "BUY",
      quantity,
      price,
      timestamp: "2026-11-23T04:00:00.100000+00:00",
      confidence: 0.82,
      metadata: null,
    },
    validated_quantity: options.validatedQuantity ?? quantity,
    validated_price: options.validatedPrice === undefined ? price : options.validatedPrice,
    risk_checks: { max_position: true },
    timestamp: "2026-11-23T04:00:00.400000+00:00",
  };
  return { id: options.id ?? "0193a2c4-7f10-7c3e-9b8a-2f6d1e5a9c01", data };
}

/**
 * A quote for the sample instrument, with or without depth: without depth unless it is given a
 * best bid or ask, or `hasDepth` (with `hasDepth: true` and no ask, a book without sellers).
 */
export function sampleQuote(options: Partial<MarketQuote> = {}): MarketQuote {
  return {
    instrumentToken: 738561,
    lastPrice: 2500.75,
    bestBid: null,
    bestAsk: null,
    timestamp: "2026-11-23T03:59:59.880000+00:00",
    ...options,
    hasDepth:
      options.hasDepth ??
      ((options.bestBid !== undefined && options.bestBid !== null) ||
        (options.bestAsk !== undefined && options.bestAsk !== null)),
  };
}
