import { KiteConnect } from "kiteconnect";
import type { KiteEmulator } from "../kite-emulator.js";

/** The real client's instance type. */
export type Kite = InstanceType<typeof KiteConnect>;

/**
 * Placement params as the trader builds them: the published types lack `market_protection`, so
 * they are extended locally (a typed variable, not an object literal, passes the client's types).
 */
export type OrderParams = Parameters<Kite["placeOrder"]>[1] & { market_protection?: number };

/** What the client rejects with: a plain object, never an Error. */
export interface KiteRejection {
  status?: string;
  message: string;
  error_type: string;
  data?: unknown;
}

/** A client pointed at the emulator, with the emulator's credentials unless overridden. */
export function clientFor(
  emulator: KiteEmulator,
  overrides: { access_token?: string; timeout?: number } = {},
): Kite {
  return new KiteConnect({
    api_key: emulator.apiKey,
    access_token: overrides.access_token ?? emulator.accessToken ?? "none",
    root: emulator.url,
    ...(overrides.timeout === undefined ? {} : { timeout: overrides.timeout }),
  });
}

/** A fresh params object each call: the client writes `variety` into the object it is given. */
export function marketOrder(overrides: Partial<OrderParams> = {}): OrderParams {
  const params: OrderParams = {
    exchange: "NSE",
    tradingsymbol: "INFY",
    transaction_type: "BUY",
    quantity: 1,
    product: "CNC",
    order_type: "MARKET",
    market_protection: -1,
    ...overrides,
  };
  return params;
}

/** Awaits a promise that must reject and returns the rejection reason. */
export async function rejectionOf(promise: Promise<unknown>): Promise<KiteRejection> {
  try {
    await promise;
  } catch (reason) {
    return reason as KiteRejection;
  }
  throw new Error("expected the call to reject, but it resolved");
}

/** Minimal view of an order state as the client returns it (timestamps become Dates). */
export interface ClientOrderState {
  order_id: string;
  status: string;
  status_message: string | null;
  average_price: number;
  filled_quantity: number;
  pending_quantity: number;
  cancelled_quantity: number;
  quantity: number;
  tag: string | null;
  tags: string[];
  instrument_token: number;
  order_timestamp: unknown;
}

/** Order history through the real client. */
export async function historyOf(kite: Kite, orderId: string): Promise<ClientOrderState[]> {
  return (await kite.getOrderHistory(orderId)) as unknown as ClientOrderState[];
}

/** Polls the order history until its latest state has `status`, or fails after `timeoutMs`. */
export async function waitForStatus(
  kite: Kite,
  orderId: string,
  status: string,
  timeoutMs = 2_000,
): Promise<ClientOrderState[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const history = await historyOf(kite, orderId);
    if (history.at(-1)?.status === status) return history;
    if (Date.now() > deadline) {
      throw new Error(`order ${orderId} is ${history.at(-1)?.status}, expected ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
