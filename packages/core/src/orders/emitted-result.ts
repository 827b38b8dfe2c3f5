import type { OrderFailed } from "../events/payloads.js";
import type { ExecutionResult, SignalToExecute } from "../trading/execution-result.js";
import type { ExecutionEmit } from "./execution-transition.js";

/**
 * The contract payload of an event an execution emits, for a signal on a namespace: the fields
 * of the signal (strategy, instrument, side, validated quantity and price) with what the
 * execution learnt (order id, fill, failure).
 */
export function emittedResult(
  signal: SignalToExecute,
  namespace: string,
  emit: ExecutionEmit,
): ExecutionResult {
  const original = signal.data.original_signal;
  const common = {
    instrument_token: original.instrument_token,
    strategy_id: original.strategy_id,
    signal_type: original.signal_type,
    broker: namespace,
    execution_mode: namespace,
    timestamp: emit.timestamp,
  };
  switch (emit.event) {
    case "order_placed":
      return {
        kind: "placed",
        payload: {
          ...common,
          order_id: emit.orderId,
          quantity: signal.data.validated_quantity,
          price: emit.price,
          status: "PLACED",
        },
      };
    case "order_filled":
      return {
        kind: "filled",
        payload: {
          ...common,
          order_id: emit.orderId,
          quantity: emit.quantity,
          fill_price: emit.fillPrice,
          side: original.signal_type === "SELL" ? "SELL" : "BUY",
          fees: emit.fees,
        },
      };
    case "order_failed": {
      const payload: OrderFailed = {
        ...common,
        quantity: signal.data.validated_quantity,
        price: signal.data.validated_price ?? original.price,
        order_id: emit.orderId ?? "N/A",
        error_message: emit.message,
        error_code: emit.code,
      };
      return { kind: "failed", payload };
    }
  }
}
