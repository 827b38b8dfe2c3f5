/**
 * The part of `upstox-js-sdk` 2.31.0 this package calls (the client ships no types). Every method
 * takes a callback `(error, data, response)`; the returned request must never be awaited (it
 * rejects after the request was sent). Models in `data` are lossy: read `response.body`.
 */
declare module "upstox-js-sdk" {
  /** What the client hands the callback as `response` (a superagent response). */
  export interface SdkResponse {
    status?: number;
    body?: unknown;
  }
  /** An error from the client: HTTP errors carry `status` and `response`; network ones `code`. */
  export interface SdkError {
    status?: number;
    statusCode?: number;
    code?: string;
    message?: string;
    response?: SdkResponse;
  }
  export type SdkCallback = (error: SdkError | null, data: unknown, response?: SdkResponse) => void;

  export class ApiClient {
    constructor();
    basePath: string;
    orderBasePath: string;
    /** Total deadline of a request, in milliseconds. */
    timeout: number;
    authentications: { OAUTH2: { type: string; accessToken?: string } };
    defaultHeaders: Record<string, string>;
  }

  /** The v3 place body, in the camelCase the client reads (snake_case keys are dropped). */
  export interface PlaceOrderV3Body {
    quantity: number;
    product: string;
    validity: string;
    price: number;
    instrumentToken: string;
    orderType: string;
    transactionType: string;
    disclosedQuantity: number;
    triggerPrice: number;
    isAmo: boolean;
    tag?: string;
    marketProtection?: number;
  }

  export class OrderApiV3 {
    constructor(client: ApiClient);
    placeOrder(
      body: PlaceOrderV3Body,
      opts: Record<string, never>,
      callback: SdkCallback,
      algoName?: string,
    ): unknown;
    cancelOrder(orderId: string, callback: SdkCallback, algoName?: string): unknown;
  }

  export class OrderApi {
    constructor(client: ApiClient);
    /** `GET /v2/order/retrieve-all`. */
    getOrderBook(apiVersion: string, callback: SdkCallback): unknown;
    /** `GET /v2/order/history` (despite its name). */
    getOrderDetails(
      apiVersion: string,
      opts: { orderId?: string; tag?: string },
      callback: SdkCallback,
    ): unknown;
  }

  export class UserApi {
    constructor(client: ApiClient);
    /** `GET /v2/user/profile`. */
    getProfile(apiVersion: string, callback: SdkCallback): unknown;
  }

  const sdk: {
    ApiClient: typeof ApiClient;
    OrderApiV3: typeof OrderApiV3;
    OrderApi: typeof OrderApi;
    UserApi: typeof UserApi;
  };
  export default sdk;
}
