import { createRequire } from "node:module";
import type { KiteConnect } from "kiteconnect";
import type { KiteOrderParams } from "./order-params.js";

const require = createRequire(import.meta.url);
let loaded: typeof KiteConnect | undefined;

/**
 * The client's class (CommonJS), loaded by the first {@link createKiteApi} rather than with this
 * package: an engine without Zerodha then never carries its megabytes of code in its heap (marked
 * again at every full GC, which the tick ingest pays for; issue 11).
 */
function kiteConnect(): typeof KiteConnect {
  loaded ??= (require("kiteconnect") as { KiteConnect: typeof KiteConnect }).KiteConnect;
  return loaded;
}

/**
 * The part of Kite Connect the trader uses. Every answer is `unknown`: responses are parsed by
 * the caller, and failures are the client's plain rejection objects, classified by
 * `classifyKiteError`.
 */
export interface KiteApi {
  /** Uses `token` for every later request (a token refreshed at the day's login). */
  setAccessToken(token: string): void;
  /** `GET /user/profile`: checked at start, it proves the access token works. */
  getProfile(): Promise<unknown>;
  /** `POST /orders/regular`: `{ order_id }` on success. */
  placeOrder(params: KiteOrderParams): Promise<unknown>;
  /** `DELETE /orders/regular/{order_id}`. */
  cancelOrder(orderId: string): Promise<unknown>;
  /** The day's order book (`GET /orders`): every order of the day, each in its latest state. */
  getOrders(): Promise<unknown>;
  /** One order's states, oldest first (`GET /orders/{order_id}`). */
  getOrderHistory(orderId: string): Promise<unknown>;
  /** The day's trades (`GET /trades`). */
  getTrades(): Promise<unknown>;
  /** One order's trades (`GET /orders/{order_id}/trades`). */
  getOrderTrades(orderId: string): Promise<unknown>;
  /** The day's instrument dump (`GET /instruments`, CSV parsed by the client into rows). */
  getInstruments(): Promise<unknown>;
}

export interface KiteApiOptions {
  apiKey: string;
  accessToken: string;
  /** Base URL (Kite's, or an emulator's). */
  root: string;
  timeoutMs: number;
  /** The dump is several megabytes, so its download gets a longer timeout than orders. */
  instrumentsTimeoutMs: number;
}

type Client = InstanceType<typeof KiteConnect>;
type PublishedPlaceParams = Parameters<Client["placeOrder"]>[1];

/**
 * The official kiteconnect client behind {@link KiteApi}. `debug` is never turned on: the client
 * would print every request, Authorization header included.
 */
export function createKiteApi(options: KiteApiOptions): KiteApi {
  const KiteConnect = kiteConnect();
  const make = (timeout: number): Client =>
    new KiteConnect({
      api_key: options.apiKey,
      access_token: options.accessToken,
      root: options.root,
      timeout,
      debug: false,
    });
  const client = make(options.timeoutMs);
  const dumpClient = make(options.instrumentsTimeoutMs);
  return {
    setAccessToken(token) {
      client.setAccessToken(token);
      dumpClient.setAccessToken(token);
    },
    getProfile: () => client.getProfile(),
    // The published types lack `market_protection` and narrow `exchange` to a literal union;
    // Kite takes the fields as sent, so our own params type is handed over as theirs here only.
    placeOrder: (params) =>
      client.placeOrder("regular", { ...params } as unknown as PublishedPlaceParams),
    cancelOrder: (orderId) => client.cancelOrder("regular", orderId),
    getOrders: () => client.getOrders(),
    getOrderHistory: (orderId) => client.getOrderHistory(orderId),
    getTrades: () => client.getTrades(),
    getOrderTrades: (orderId) => client.getOrderTrades(orderId),
    getInstruments: () => dumpClient.getInstruments(),
  };
}
