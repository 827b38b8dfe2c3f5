import {
  type ExecutionResult,
  failedResult,
  type KnownErrorCode,
  type SignalToExecute,
} from "@engine/core";

/** `order_placed`: Kite accepted the order. */
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
