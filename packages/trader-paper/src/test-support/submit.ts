import {
  clientOrderId,
  type LastPrice,
  type SignalToExecute,
  type SubmitResult,
  type Trader,
} from "@engine/core";

/** Submits a signal as the engine does: with the core's client order id, not aborted. */
export function submit(
  trader: Trader,
  signal: SignalToExecute,
  quote: LastPrice,
): Promise<SubmitResult> {
  return trader.executeOrder(signal, quote, {
    clientOrderId: clientOrderId(signal.id, trader.executionMode),
    abort: new AbortController().signal,
  });
}

/** The engine's reference to a signal's order on a trader. */
export function refOf(trader: Trader, signal: SignalToExecute) {
  return { clientOrderId: clientOrderId(signal.id, trader.executionMode), orderId: null };
}
