import { createRequire } from "node:module";
import type upstox from "upstox-js-sdk";
import type { PlaceOrderV3Body, SdkCallback } from "upstox-js-sdk";
import type { RateGate } from "../limits/rate-gate.js";
import { classifyAnswer, type UpstoxAnswer } from "./upstox-answer.js";

const require = createRequire(import.meta.url);
let loaded: typeof upstox | undefined;

/**
 * The SDK (CommonJS), loaded by the first gateway rather than with this package: an engine
 * without Upstox then never carries its megabytes of code in its heap (marked again at every full
 * GC, which the tick ingest pays for; issue 11).
 */
function sdk(): typeof upstox {
  loaded ??= require("upstox-js-sdk") as typeof upstox;
  return loaded;
}

/** Where the gateway sends requests and how long it waits. */
export interface GatewayOptions {
  apiRoot: string;
  orderApiRoot: string;
  timeoutMs: number;
  algoName: string | null;
  token: string;
  /** Place and cancel (Upstox budgets its order APIs together, per user). */
  orderGate: RateGate;
  reads: RateGate;
  /** How long a placement may wait for a slot before it is refused, ms. */
  maxQueueMs: number;
}

/** A call that was never sent: no slot in time, or the engine withdrew it. */
export type NotSent = { kind: "not_sent"; reason: "rate_limited" | "aborted" };

const API_VERSION = "2.0";
const MAX_BACKOFF_MS = 30_000;

/**
 * The one place that talks to `upstox-js-sdk`. Every call is wrapped in a Promise around the
 * client's callback (the request it returns is never awaited: it rejects after sending, which
 * would look like a failure of an order that was placed), goes through a rate gate, and is
 * classified (`UpstoxAnswer`). A 401 marks the token bad until `setToken`; a 429 pauses the
 * gate with a backoff that doubles up to 30 s.
 */
export class UpstoxGateway {
  readonly #client: InstanceType<typeof upstox.ApiClient>;
  readonly #orders: InstanceType<typeof upstox.OrderApiV3>;
  readonly #orderReads: InstanceType<typeof upstox.OrderApi>;
  readonly #user: InstanceType<typeof upstox.UserApi>;
  readonly #options: GatewayOptions;
  #tokenProblem: string | null = null;
  #backoffMs = 0;

  constructor(options: GatewayOptions) {
    this.#options = options;
    // One client per gateway, passed to every API class: the constructor also replaces the
    // library's global instance, which nothing here relies on.
    const upstox = sdk();
    const client = new upstox.ApiClient();
    client.basePath = options.apiRoot.replace(/\/+$/, "");
    client.orderBasePath = options.orderApiRoot.replace(/\/+$/, "");
    client.timeout = options.timeoutMs;
    client.authentications.OAUTH2.accessToken = options.token;
    this.#client = client;
    this.#orders = new upstox.OrderApiV3(client);
    this.#orderReads = new upstox.OrderApi(client);
    this.#user = new upstox.UserApi(client);
  }

  /** Why the token is unusable (Upstox answered 401), or null. */
  get tokenProblem(): string | null {
    return this.#tokenProblem;
  }

  /** Uses a new token from now on, clearing a token problem. */
  setToken(token: string): void {
    this.#client.authentications.OAUTH2.accessToken = token;
    this.#tokenProblem = null;
  }

  /** `POST /v3/order/place`, at most once; `abort` is checked right before sending. */
  place(body: PlaceOrderV3Body, abort: AbortSignal): Promise<UpstoxAnswer | NotSent> {
    const algo = this.#options.algoName ?? undefined;
    return this.#send(this.#options.orderGate, this.#options.maxQueueMs, abort, (done) =>
      this.#orders.placeOrder(body, {}, done, algo),
    );
  }

  /** `DELETE /v3/order/cancel?order_id=`. */
  cancel(orderId: string): Promise<UpstoxAnswer | NotSent> {
    const algo = this.#options.algoName ?? undefined;
    return this.#send(this.#options.orderGate, this.#options.maxQueueMs, undefined, (done) =>
      this.#orders.cancelOrder(orderId, done, algo),
    );
  }

  /** `GET /v2/order/history` by order id or tag: every state, earliest first. */
  history(filter: { orderId?: string; tag?: string }): Promise<UpstoxAnswer | NotSent> {
    return this.#read((done) => this.#orderReads.getOrderDetails(API_VERSION, filter, done));
  }

  /** `GET /v2/order/retrieve-all`: today's orders, latest state each. */
  retrieveAll(): Promise<UpstoxAnswer | NotSent> {
    return this.#read((done) => this.#orderReads.getOrderBook(API_VERSION, done));
  }

  /** `GET /v2/user/profile`: verifies the token. */
  profile(): Promise<UpstoxAnswer | NotSent> {
    return this.#read((done) => this.#user.getProfile(API_VERSION, done));
  }

  /** Gives every waiting call `not_sent`. */
  close(): void {
    this.#options.orderGate.close();
    this.#options.reads.close();
  }

  #read(invoke: (done: SdkCallback) => unknown): Promise<UpstoxAnswer | NotSent> {
    return this.#send(this.#options.reads, this.#options.timeoutMs, undefined, invoke);
  }

  async #send(
    gate: RateGate,
    maxWaitMs: number,
    abort: AbortSignal | undefined,
    invoke: (done: SdkCallback) => unknown,
  ): Promise<UpstoxAnswer | NotSent> {
    const permit = await gate.acquire(maxWaitMs, abort);
    if (permit === null)
      return { kind: "not_sent", reason: abort?.aborted ? "aborted" : "rate_limited" };
    if (abort?.aborted) {
      permit.cancel();
      return { kind: "not_sent", reason: "aborted" };
    }
    const answer = await new Promise<UpstoxAnswer>((resolve) => {
      try {
        invoke((error, _data, response) => resolve(classifyAnswer(error, response)));
      } catch (error) {
        // The client threw before sending (a missing parameter): nothing went out.
        resolve({
          kind: "refused",
          status: 0,
          code: null,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }).finally(() => permit.release());
    this.#learn(gate, answer);
    return answer;
  }

  #learn(gate: RateGate, answer: UpstoxAnswer): void {
    if (answer.kind === "token")
      this.#tokenProblem = `Upstox refused the access token (${answer.message})`;
    if (answer.kind === "rate_limited") {
      this.#backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1_000, this.#backoffMs * 2));
      gate.pause(this.#backoffMs);
    } else if (answer.kind === "ok") {
      this.#backoffMs = 0;
    }
  }
}
