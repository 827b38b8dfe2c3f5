import {
  type ExecutionResult,
  failedResult,
  type KnownErrorCode,
  type OrderPlaced,
  type SignalToExecute,
} from "@engine/core";

/** `order_placed`: Kite accepted the order (or it was found at Kite by its tag). */
export function placedResult(
  signal: SignalToExecute,
  namespace: string,
  orderId: string,
  limitPrice: number | null,
  timestamp: string,
): ExecutionResult {
  const original = signal.data.original_signal;
  return {
    kind: "placed",
    payload: {
      order_id: orderId,
      instrument_token: original.instrument_token,
      signal_type: original.signal_type,
      quantity: signal.data.validated_quantity,
      price: limitPrice,
      timestamp,
      broker: namespace,
      status: "PLACED",
      strategy_id: original.strategy_id,
      execution_mode: namespace,
    },
  };
}

/** `order_filled`: the order ended with a fill (whole, or partial and then cancelled). */
export function filledResult(
  signal: SignalToExecute,
  placed: OrderPlaced,
  namespace: string,
  fill: { quantity: number; averagePrice: number },
  timestamp: string,
): ExecutionResult {
  const original = signal.data.original_signal;
  const side = original.signal_type === "SELL" ? "SELL" : "BUY";
  return {
    kind: "filled",
    payload: {
      order_id: placed.order_id,
      instrument_token: original.instrument_token,
      quantity: fill.quantity > 0 ? fill.quantity : placed.quantity,
      fill_price: fill.averagePrice,
      timestamp,
      broker: namespace,
      side,
      strategy_id: original.strategy_id,
      signal_type: original.signal_type,
      execution_mode: namespace,
      // Kite reports charges only in the contract note, at the end of the day.
      fees: null,
    },
  };
}

/** `order_failed`, with the broker's order id when an order exists. */
export function failed(
  signal: SignalToExecute,
  namespace: string,
  code: KnownErrorCode,
  message: string,
  timestamp: string,
  orderId?: string,
): ExecutionResult {
  return failedResult(signal, {
    namespace,
    code,
    message,
    timestamp,
    ...(orderId === undefined ? {} : { orderId }),
  });
}
