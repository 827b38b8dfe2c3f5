import type { Clock, Logger } from "@engine/core";
import type { z } from "zod";
import { backoffDelay } from "../limits/backoff.js";
import type { DailyOrderCap } from "../limits/daily-order-cap.js";
import type { Permit, RateLimiter } from "../limits/rate-limiter.js";
import type { SecretRedactor } from "../secret-redactor.js";
import type { AccessTokenSource } from "./access-token-source.js";
import type { KiteApi } from "./kite-api.js";
import { classifyKiteError, type KiteFailure, resolvedError } from "./kite-errors.js";
import type { KiteOrderParams } from "./order-params.js";
import {
  KiteOrderListSchema,
  type KiteOrderState,
  type KiteTrade,
  KiteTradeListSchema,
  OrderIdResponseSchema,
  ProfileSchema,
} from "./order-state.js";

/** The value of a successful call, or why it failed. */
export type KiteResult<T> = { ok: true; value: T } | { ok: false; failure: KiteFailure };

/** What became of one placement request. */
export type PlaceOutcome =
  | { kind: "accepted"; orderId: string }
  | KiteFailure
  | OrderSlotRefusal
  /** The abort fired before the request was sent: nothing was sent. */
  | { kind: "aborted" };

/** What became of one cancel request. */
export type CancelSendOutcome = { kind: "sent" } | KiteFailure | OrderSlotRefusal;

/** An order request refused on the client, unsent: no slot in time, or the day's cap used up. */
export interface OrderSlotRefusal {
  kind: "throttled";
  reason: "queue" | "daily-cap";
  message: string;
}

/** How long an order request may wait for a slot of the order rate limiter. */
export interface OrderSlotBounds {
  /** Milliseconds to wait for a slot; refused (unsent) past it. */
  maxQueueMs: number;
  /** Checked right before sending, once the slot is granted; also ends the wait. */
  abort?: AbortSignal;
}

/**
 * Bounds of a call: a deadline on the limiters' monotonic clock, an abort signal, and whether it
 * goes ahead of routine requests in the rate limiter's queue.
 */
export interface CallBounds {
  deadline?: number;
  abort?: AbortSignal;
  urgent?: boolean;
}

export interface KiteGatewayOptions {
  api: KiteApi;
  tokens: AccessTokenSource;
  /** Order requests (placements and cancels): per second and per minute. */
  orderLimiter: RateLimiter;
  dailyCap: DailyOrderCap;
  /** Every other endpoint. */
  requestLimiter: RateLimiter;
  redactor: SecretRedactor;
  /** Wall clock, for the IST day of the daily cap. */
  clock: Clock;
  logger: Logger;
  /** How often a rejected token that did not change is tried again. */
  reverifyMs?: number;
  /** How often the token source is looked at while the token is rejected. */
  watchMs?: number;
  random?: () => number;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;
const RETRY_VERIFY_AFTER_NETWORK_FAILURE_MS = 2_000;

/**
 * Every call to Kite goes through here: client-side rate limits (orders and other requests
 * separately), the daily order cap, access-token rotation and session health, classification
 * of failures, redaction of messages, and parsing of answers. Callers get values, never the
 * client's raw rejection objects.
 */
export class KiteGateway {
  readonly #o: KiteGatewayOptions;
  readonly #random: () => number;
  #tokenProblem: string | null = null;
  #verifyDue = 0;
  #syncing: Promise<void> | undefined;
  #consecutive429 = 0;
  #watcher: NodeJS.Timeout | undefined;

  constructor(options: KiteGatewayOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  /** Monotonic now, the clock of deadlines. */
  now(): number {
    return this.#o.requestLimiter.now();
  }

  /** Why the session is unusable (Kite rejected the token), or null while it is fine. */
  tokenProblem(): string | null {
    return this.#tokenProblem;
  }

  /** Checks the session with `getProfile`; clears or sets the token problem accordingly. */
  async verifySession(bounds: CallBounds = {}): Promise<KiteResult<true>> {
    const result = await this.#call("getProfile", (api) => api.getProfile(), ProfileSchema, {
      urgent: true,
      ...bounds,
    });
    if (result.ok) {
      if (this.#tokenProblem !== null)
        this.#o.logger.info({}, "Kite session verified: ready again");
      this.#tokenProblem = null;
      return { ok: true, value: true };
    }
    const retryIn =
      result.failure.kind === "token"
        ? (this.#o.reverifyMs ?? 60_000)
        : RETRY_VERIFY_AFTER_NETWORK_FAILURE_MS;
    this.#verifyDue = this.now() + retryIn;
    return result;
  }

  /**
   * Picks up a rotated token, and while the session is rejected, verifies a new token (or the
   * same one, now and then) so health comes back without a restart.
   */
  syncToken(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  /** Looks at the token source periodically while the session is rejected. */
  startWatching(): void {
    this.stopWatching();
    this.#watcher = setInterval(() => {
      if (this.#tokenProblem !== null) void this.syncToken().catch(() => undefined);
    }, this.#o.watchMs ?? 1_000);
    this.#watcher.unref();
  }

  stopWatching(): void {
    clearInterval(this.#watcher);
    this.#watcher = undefined;
  }

  /**
   * Sends one placement, at most once, after waiting for a slot of the order rate limiter. Sends
   * nothing when the token is known bad, when no slot frees within `maxQueueMs`, when the day's
   * allowance is used up, or when `abort` fired (checked right before sending).
   */
  async placeOrder(params: KiteOrderParams, bounds: OrderSlotBounds): Promise<PlaceOutcome> {
    const sent = await this.#sendOrderRequest(
      "placeOrder",
      (api) => api.placeOrder(params),
      bounds,
      { countsTowardDailyCap: true, urgent: false },
    );
    if (sent.kind !== "answered") return sent;
    return { kind: "accepted", orderId: sent.value.order_id };
  }

  /**
   * Asks Kite to cancel a regular order (`DELETE /orders/regular/{id}`). A cancel counts against
   * the same per-second and per-minute windows as placements (Kite's order limits cover place,
   * modify and cancel) and goes ahead of queued placements: it only ever reduces exposure.
   */
  async cancelOrder(orderId: string, bounds: OrderSlotBounds): Promise<CancelSendOutcome> {
    const sent = await this.#sendOrderRequest(
      "cancelOrder",
      (api) => api.cancelOrder(orderId),
      bounds,
      { countsTowardDailyCap: false, urgent: true },
    );
    if (sent.kind === "aborted") {
      return { kind: "throttled", reason: "queue", message: "the cancel was withdrawn unsent" };
    }
    return sent.kind === "answered" ? { kind: "sent" } : sent;
  }

  /** Today's order book. */
  orders(bounds: CallBounds = {}): Promise<KiteResult<KiteOrderState[]>> {
    return this.#read("getOrders", (api) => api.getOrders(), KiteOrderListSchema, bounds);
  }

  /** Today's trades, every order's. */
  trades(bounds: CallBounds = {}): Promise<KiteResult<KiteTrade[]>> {
    return this.#read("getTrades", (api) => api.getTrades(), KiteTradeListSchema, bounds);
  }

  /** One order's trades. */
  orderTrades(orderId: string, bounds: CallBounds = {}): Promise<KiteResult<KiteTrade[]>> {
    return this.#read(
      "getOrderTrades",
      (api) => api.getOrderTrades(orderId),
      KiteTradeListSchema,
      bounds,
    );
  }

  /** One order's states, oldest first. */
  orderHistory(orderId: string, bounds: CallBounds = {}): Promise<KiteResult<KiteOrderState[]>> {
    return this.#read(
      "getOrderHistory",
      (api) => api.getOrderHistory(orderId),
      KiteOrderListSchema,
      bounds,
    );
  }

  /** The instrument dump, as the client returns it (parsed rows, or raw CSV text). */
  async instruments(bounds: CallBounds = {}): Promise<KiteResult<unknown>> {
    return this.#read("getInstruments", (api) => api.getInstruments(), undefined, bounds);
  }

  /**
   * One request against the order rate limits, sent at most once: the token, the slot, the abort
   * and the daily cap are checked in that order, and nothing is sent when one says no.
   */
  async #sendOrderRequest(
    operation: string,
    call: (api: KiteApi) => Promise<unknown>,
    bounds: OrderSlotBounds,
    policy: { countsTowardDailyCap: boolean; urgent: boolean },
  ): Promise<
    | { kind: "answered"; value: { order_id: string } }
    | KiteFailure
    | OrderSlotRefusal
    | { kind: "aborted" }
  > {
    const slot = await this.#orderSlot(bounds, policy);
    if (slot.kind !== "permit") return slot;
    return this.#sendWithPermit(operation, call, slot.permit);
  }

  /**
   * A slot of the order rate limits for one request, once the token is good, the engine has not
   * withdrawn and the daily cap allows it; else why nothing may be sent.
   */
  async #orderSlot(
    bounds: OrderSlotBounds,
    policy: { countsTowardDailyCap: boolean; urgent: boolean },
  ): Promise<
    { kind: "permit"; permit: Permit } | KiteFailure | OrderSlotRefusal | { kind: "aborted" }
  > {
    const { abort } = bounds;
    await this.syncToken();
    if (this.#tokenProblem !== null) return this.#tokenFailure();
    if (abort?.aborted) return { kind: "aborted" };
    const permit = await this.#o.orderLimiter.acquire({
      deadline: this.now() + bounds.maxQueueMs,
      urgent: policy.urgent,
      ...(abort ? { abort } : {}),
    });
    if (permit === null) {
      if (abort?.aborted) return { kind: "aborted" };
      return {
        kind: "throttled",
        reason: "queue",
        message: `order rate limit: no slot freed within ${bounds.maxQueueMs} ms (ZERODHA_MAX_QUEUE_MS); nothing was sent`,
      };
    }
    const refusal = this.#refusalAfterWait(abort, policy.countsTowardDailyCap);
    if (refusal === null) return { kind: "permit", permit };
    permit.cancel();
    return refusal;
  }

  /** What stops a request whose slot came: the session lost, the engine withdrawn, the daily cap. */
  #refusalAfterWait(
    abort: AbortSignal | undefined,
    countsTowardDailyCap: boolean,
  ): KiteFailure | OrderSlotRefusal | { kind: "aborted" } | null {
    // The session may have been lost, or the engine may have withdrawn, while this waited.
    if (this.#tokenProblem !== null) return this.#tokenFailure();
    if (abort?.aborted) return { kind: "aborted" };
    if (countsTowardDailyCap && !this.#o.dailyCap.tryTake(this.#o.clock.now())) {
      return {
        kind: "throttled",
        reason: "daily-cap",
        message: `daily order limit reached (ZERODHA_ORDERS_PER_DAY=${this.#o.dailyCap.limit}); nothing was sent`,
      };
    }
    return null;
  }

  /** Sends the request under its slot, once; the slot is released whatever the answer. */
  async #sendWithPermit(
    operation: string,
    call: (api: KiteApi) => Promise<unknown>,
    permit: Permit,
  ): Promise<{ kind: "answered"; value: { order_id: string } } | KiteFailure> {
    let failure: KiteFailure;
    try {
      const answer = await call(this.#o.api);
      const parsed = resolvedError(answer) ? null : OrderIdResponseSchema.safeParse(answer);
      if (parsed?.success) {
        this.#consecutive429 = 0;
        return { kind: "answered", value: parsed.data };
      }
      // A 200 that is not the success envelope (an HTML page, say): it may have worked all the same.
      failure = parsed
        ? ambiguous("unexpected answer", "DataException")
        : classifyKiteError(answer);
    } catch (reason) {
      failure = classifyKiteError(reason);
    } finally {
      permit.release();
    }
    failure = this.#note(operation, failure);
    if (failure.kind === "ambiguous" && failure.rateLimited) {
      this.#o.orderLimiter.pauseUntil(this.now() + this.#backoff());
    }
    return failure;
  }

  #tokenFailure(): KiteFailure {
    return {
      kind: "token",
      errorType: "TokenException",
      message: this.#tokenProblem ?? "Kite rejected the access token",
    };
  }

  async #sync(): Promise<void> {
    const rejected = this.#tokenProblem !== null;
    const changed = await this.#o.tokens.poll({ force: rejected });
    if (changed) {
      const token = this.#o.tokens.current();
      if (token !== null) {
        this.#o.redactor.add(token);
        this.#o.api.setAccessToken(token);
        this.#o.logger.info({}, "Kite access token changed");
      }
    }
    if (rejected && (changed || this.now() >= this.#verifyDue)) await this.verifySession();
  }

  /** A read: short-circuited while the token is known bad, so an outage costs no requests. */
  async #read<S extends z.ZodType>(
    operation: string,
    call: (api: KiteApi) => Promise<unknown>,
    schema: S | undefined,
    bounds: CallBounds,
  ): Promise<KiteResult<z.infer<S>>> {
    await this.syncToken();
    if (this.#tokenProblem !== null) return { ok: false, failure: this.#tokenFailure() };
    return this.#call(operation, call, schema, bounds);
  }

  async #call<S extends z.ZodType>(
    operation: string,
    call: (api: KiteApi) => Promise<unknown>,
    schema: S | undefined,
    bounds: CallBounds,
  ): Promise<KiteResult<z.infer<S>>> {
    const permit = await this.#o.requestLimiter.acquire(bounds);
    if (permit === null) {
      return this.#fail(
        ambiguous(bounds.abort?.aborted ? "aborted" : "no request slot before the deadline"),
      );
    }
    let answer: unknown;
    try {
      answer = await withinDeadline(call(this.#o.api), bounds.deadline, this.now(), permit);
    } catch (reason) {
      const failure = this.#note(operation, classifyKiteError(reason));
      if (failure.kind === "ambiguous" && failure.rateLimited) {
        this.#o.requestLimiter.pauseUntil(this.now() + this.#backoff());
      }
      return this.#fail(failure);
    }
    if (resolvedError(answer)) return this.#fail(this.#note(operation, classifyKiteError(answer)));
    if (schema === undefined) return { ok: true, value: answer as z.infer<S> };
    const parsed = schema.safeParse(answer);
    if (!parsed.success) {
      return this.#fail(this.#note(operation, ambiguous("unexpected answer", "DataException")));
    }
    return { ok: true, value: parsed.data };
  }

  #fail(failure: KiteFailure): { ok: false; failure: KiteFailure } {
    return { ok: false, failure };
  }

  /** Redacts the message, records a token rejection, and logs the failure without secrets. */
  #note(operation: string, failure: KiteFailure): KiteFailure {
    const message = this.#o.redactor.redact(failure.message);
    const noted = { ...failure, message } as KiteFailure;
    if (noted.kind === "token" && this.#tokenProblem === null) {
      this.#tokenProblem = `Kite rejected the access token (${message}); waiting for a new one`;
      this.#verifyDue = this.now() + (this.#o.reverifyMs ?? 60_000);
      this.#o.logger.error({ operation, error_type: noted.errorType }, "Kite session unavailable");
    } else if (noted.kind !== "token") {
      this.#o.logger.warn(
        { operation, error_type: noted.errorType, kind: noted.kind, message },
        "Kite call failed",
      );
    }
    return noted;
  }

  #backoff(): number {
    this.#consecutive429 += 1;
    return backoffDelay(this.#consecutive429 - 1, BACKOFF_BASE_MS, BACKOFF_CAP_MS, this.#random);
  }
}

function ambiguous(message: string, errorType = "NetworkException"): KiteFailure {
  return { kind: "ambiguous", errorType, message, rateLimited: false };
}

/**
 * Stops waiting for an answer at the deadline; the late answer is dropped (reads only). The
 * permit is released when the request really ends, since until then it may still reach Kite.
 */
function withinDeadline<T>(
  promise: Promise<T>,
  deadline: number | undefined,
  now: number,
  permit: Permit,
): Promise<T> {
  void promise.then(
    () => permit.release(),
    () => permit.release(),
  );
  if (deadline === undefined || !Number.isFinite(deadline)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject({ error_type: "NetworkException", message: "no answer before the deadline" }),
      Math.max(0, deadline - now),
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
