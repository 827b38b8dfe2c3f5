import { setMaxListeners } from "node:events";
import {
  type CancelOutcome,
  type Clock,
  errorMessage,
  isoNow,
  type KnownErrorCode,
  type LastPrice,
  type Logger,
  type OrderQuery,
  type OrderRef,
  type OrderStatusBatch,
  type SignalToExecute,
  SingleFlight,
  type SqlPort,
  type SubmitContext,
  type SubmitResult,
  silentLogger,
  systemClock,
  type Trader,
  type TraderCapabilities,
  type TraderHealth,
} from "@engine/core";
import {
  type AccessTokenSource,
  FileTokenSource,
  StaticTokenSource,
} from "./kite/access-token-source.js";
import { orderSpecFor } from "./placement/order-spec.js";
import { PostbackServer } from "./postbacks/postback-server.js";
import { failed, placedResult } from "./results.js";
import { SecretRedactor } from "./secret-redactor.js";
import {
  buildComponents,
  type ZerodhaComponents,
  type ZerodhaTuning,
} from "./zerodha-components.js";
import { OBSOLETE_VARIABLES, type ZerodhaSettings } from "./zerodha-settings.js";

/** What a {@link ZerodhaTrader} is built from; `settings` come from the `KITE_*` variables. */
export interface ZerodhaTraderOptions {
  /** The Kite account, hosts, timeouts and limits (`ZerodhaSettingsSchema`). */
  settings: ZerodhaSettings;
  /** The namespace it executes for; `zerodha` by default. */
  namespace?: string;
  logger?: Logger;
  clock?: Clock;
  /** The engine's database, to keep the instrument dump across restarts; memory only without. */
  sql?: SqlPort;
  /** Called on every verified postback: the engine then asks for status reports at once. */
  ordersChanged?: () => void;
  tuning?: ZerodhaTuning;
}

type State = "new" | "ready" | "stopped";

/**
 * Places real orders on Zerodha through Kite Connect (the official `kiteconnect` client), as a
 * `Trader` of the contract's second version.
 *
 * `executeOrder` sends at most one placement per call, tagged with the engine's client order id,
 * and answers `placed` (Kite's order id), `failed` (refused: nothing is working at Kite), or
 * `unknown` (no clear answer: the order may exist, and the engine finds out with `queryOrder` once
 * `capabilities.orderVisibilityMs` have passed). `queryOrder`, `orderStatusReports` and
 * `cancelOrder` read and cancel orders; the engine decides everything else. Business outcomes
 * are values; nothing here throws for them.
 */
export class ZerodhaTrader implements Trader {
  readonly executionMode: string;
  readonly capabilities: TraderCapabilities;
  readonly #settings: ZerodhaSettings;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #sql: SqlPort | undefined;
  readonly #ordersChanged: (() => void) | undefined;
  readonly #tuning: ZerodhaTuning;
  readonly #redactor = new SecretRedactor();
  readonly #stopping = new AbortController();
  /** Placements running, by client order id. */
  readonly #placements = new SingleFlight<string, SubmitResult>();
  #state: State = "new";
  readonly #starts = new SingleFlight<undefined, boolean>();
  #unavailableReason = "not initialised";
  #parts: ZerodhaComponents | undefined;
  #postbacks: PostbackServer | undefined;

  constructor(options: ZerodhaTraderOptions) {
    this.executionMode = options.namespace ?? "zerodha";
    this.#settings = options.settings;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#sql = options.sql;
    this.#ordersChanged = options.ordersChanged;
    this.#tuning = options.tuning ?? {};
    this.#redactor.add(options.settings.accessToken);
    this.#redactor.add(options.settings.apiSecret);
    // Every queued placement listens to it: many at once is the normal case, not a leak.
    setMaxListeners(0, this.#stopping.signal);
    this.capabilities = Object.freeze({
      followsOrders: true,
      queryByClientOrderId: true,
      batchStatusReports: true,
      cancel: true,
      orderVisibilityMs: options.settings.orderVisibilityMs,
      statusPollIntervalMs: options.settings.statusPollMs,
      // A burst waits its turn at the broker's pace, then gets the client's whole timeout.
      maxSubmitMs: options.settings.maxQueueMs + options.settings.timeoutMs + 1_000,
      // Kite's limits are per account: every engine instance on it shares them.
      orderBudget: {
        perSecond: options.settings.limits.ordersPerSecond,
        perMinute: options.settings.limits.ordersPerMinute,
        perDay: options.settings.limits.ordersPerDay,
      },
    });
  }

  /**
   * Verifies the Kite session (`getProfile`) and loads the instruments. Resolves false, with the
   * reason logged and reported by `health()`, when either fails. Concurrent and repeated calls
   * share one successful start; a failed start is tried again by the next call.
   */
  initialize(): Promise<boolean> {
    if (this.#state === "stopped") return Promise.resolve(false);
    if (this.#state === "ready") return Promise.resolve(true);
    return this.#starts.run(undefined, () => this.#start());
  }

  /** Stops timers and the postback listener, and aborts every wait. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    this.#unavailableReason = "shut down";
    this.#stopping.abort();
    this.#parts?.refresher.stop();
    this.#parts?.gateway.stopWatching();
    await this.#postbacks?.stop();
  }

  /** Ready, or unavailable while not initialised, shut down, or the token is rejected. */
  health(): TraderHealth {
    if (this.#state !== "ready" || this.#parts === undefined) {
      return { status: "unavailable", reason: this.#unavailableReason };
    }
    const tokenProblem = this.#parts.gateway.tokenProblem();
    if (tokenProblem !== null) return { status: "unavailable", reason: tokenProblem };
    if (this.#parts.store.size === 0) {
      return { status: "unavailable", reason: "instruments unavailable" };
    }
    return { status: "ready" };
  }

  /** The postback listener's URL, when `KITE_POSTBACK_PORT` is set and the trader is running. */
  get postbackUrl(): string | null {
    return this.#postbacks?.url || null;
  }

  /**
   * Places the signal's order with `context.clientOrderId` as its Kite tag, sending at most one
   * request. A placement first waits for a slot of the order rate limiter (up to
   * `ZERODHA_MAX_QUEUE_MS`; `failed` `RATE_LIMITED` past it, nothing sent); `context.abort` is
   * checked right before sending (`failed` `TRADER_UNAVAILABLE`, nothing sent). The last price is
   * not needed: MARKET orders are priced by Kite within their market protection, and LIMIT orders
   * use the signal's validated price.
   */
  executeOrder(
    signal: SignalToExecute,
    _lastPrice: LastPrice,
    context: SubmitContext,
  ): Promise<SubmitResult> {
    // Never two placements with one tag at once: a second call shares the first one's answer.
    return this.#placements.run(context.clientOrderId, () => this.#execute(signal, context));
  }

  /**
   * Where one order stands at Kite: by its Kite order id (the order's history) when the ref has
   * one, else by its client order id in today's order book. `unknown` when Kite cannot be asked
   * (not running, token rejected, outage).
   */
  async queryOrder(ref: OrderRef): Promise<OrderQuery> {
    const parts = this.#running();
    if (parts === undefined) {
      return { kind: "unknown", reason: `zerodha trader is ${this.#unavailableReason}` };
    }
    return this.#guard(() => parts.reader.query(ref), { kind: "unknown" as const });
  }

  /**
   * Status reports of many orders from one `GET /orders` (and at most one `GET /trades`, for the
   * fill times of orders that ended since the last call). Orders not in today's book are left out.
   */
  async orderStatusReports(refs: readonly OrderRef[]): Promise<OrderStatusBatch> {
    const parts = this.#running();
    if (parts === undefined) {
      return { kind: "unavailable", reason: `zerodha trader is ${this.#unavailableReason}` };
    }
    return this.#guard(() => parts.reader.reports(refs), { kind: "unavailable" as const });
  }

  /** Asks Kite to cancel the order (`DELETE /orders/regular/{order_id}`). */
  async cancelOrder(ref: OrderRef): Promise<CancelOutcome> {
    const parts = this.#running();
    if (parts === undefined) {
      return {
        kind: "failed",
        retryable: true,
        reason: `zerodha trader is ${this.#unavailableReason}`,
      };
    }
    return this.#guard(() => parts.canceller.cancel(ref), {
      kind: "failed" as const,
      retryable: true,
    });
  }

  async #execute(signal: SignalToExecute, context: SubmitContext): Promise<SubmitResult> {
    const parts = this.#running();
    if (parts === undefined) {
      return this.#fail(
        signal,
        "TRADER_UNAVAILABLE",
        `zerodha trader is ${this.#unavailableReason}`,
      );
    }
    const spec = orderSpecFor(signal, parts.store, this.#settings, context.clientOrderId);
    if (!spec.ok) return this.#fail(signal, spec.code, spec.message);
    const log = this.#log(signal).child({ tag: spec.spec.tag });
    const abort = AbortSignal.any([context.abort, this.#stopping.signal]);
    const result = await parts.placer.place(spec.spec, abort, log);
    switch (result.kind) {
      case "placed":
        log.info({ order_id: result.orderId }, "order placed");
        return placedResult(
          signal,
          this.executionMode,
          result.orderId,
          spec.spec.limitPrice,
          isoNow(this.#clock),
        );
      case "failed":
        log.warn({ error_code: result.code, message: result.message }, "order not placed");
        return this.#fail(signal, result.code, this.#redactor.redact(result.message));
      case "unknown":
        return { kind: "unknown", reason: this.#redactor.redact(result.reason) };
    }
  }

  /**
   * Runs a query or a cancel, turning a throw (a bug, or a client that broke its promise to
   * reject with plain objects) into the "could not ask" answer rather than into the engine.
   */
  async #guard<T, F extends { kind: string }>(
    run: () => Promise<T>,
    fallback: F,
  ): Promise<T | (F & { reason: string })> {
    try {
      return await run();
    } catch (error) {
      const reason = this.#redactor.redact(errorMessage(error));
      this.#logger.error({ reason }, "unexpected error talking to Kite");
      return { ...fallback, reason };
    }
  }

  /** Passes a verified postback on to the engine; its callback's failure is not Kite's. */
  #notifyOrdersChanged(): void {
    try {
      this.#ordersChanged?.();
    } catch (error) {
      this.#logger.error(
        { reason: errorMessage(error) },
        "the engine's ordersChanged callback threw",
      );
    }
  }

  /** The working parts, while the trader is ready. */
  #running(): ZerodhaComponents | undefined {
    return this.#state === "ready" ? this.#parts : undefined;
  }

  async #start(): Promise<boolean> {
    const settings = this.#settings;
    for (const name of settings.ignoredVariables) {
      this.#logger.warn(
        { variable: name, why: OBSOLETE_VARIABLES[name] },
        `${name} is set but no longer does anything`,
      );
    }
    const tokens: AccessTokenSource = settings.accessTokenFile
      ? new FileTokenSource(settings.accessTokenFile, settings.accessToken)
      : new StaticTokenSource(settings.accessToken);
    await tokens.poll({ force: true });
    const accessToken = tokens.current();
    if (settings.apiKey === null || accessToken === null) {
      return this.#unavailable(
        settings.apiKey === null
          ? "KITE_API_KEY is not set"
          : "no Kite access token (KITE_ACCESS_TOKEN or KITE_ACCESS_TOKEN_FILE)",
      );
    }
    this.#redactor.add(accessToken);
    const parts = buildComponents({
      settings,
      apiKey: settings.apiKey,
      accessToken,
      tokens,
      redactor: this.#redactor,
      clock: this.#clock,
      logger: this.#logger,
      sql: this.#sql,
      tuning: this.#tuning,
    });
    const session = await parts.gateway.verifySession({ abort: this.#stopping.signal });
    if (!session.ok) {
      const { kind, errorType, message } = session.failure;
      return this.#unavailable(
        kind === "token"
          ? `Kite rejected the access token (${message})`
          : `could not verify the Kite session (${errorType}: ${message})`,
      );
    }
    if (!(await parts.refresher.load())) return this.#unavailable("instruments unavailable");
    if (this.#stopped()) return false;
    const postbackProblem = await this.#listenForPostbacks();
    if (postbackProblem !== null) return this.#unavailable(postbackProblem);
    if (this.#stopped()) {
      await this.#postbacks?.stop();
      return false;
    }
    parts.refresher.start();
    parts.gateway.startWatching();
    this.#parts = parts;
    this.#state = "ready";
    this.#logger.info({ instruments: parts.store.size }, "zerodha trader ready");
    return true;
  }

  /**
   * Starts the postback listener when a port and the API secret are set; the reason it could not
   * listen, or null.
   */
  async #listenForPostbacks(): Promise<string | null> {
    const settings = this.#settings;
    if (settings.postbackPort === null || settings.apiSecret === null) return null;
    this.#postbacks = new PostbackServer({
      port: settings.postbackPort,
      ...(settings.postbackHost === null ? {} : { host: settings.postbackHost }),
      apiSecret: settings.apiSecret,
      logger: this.#logger,
      onPostback: () => this.#notifyOrdersChanged(),
    });
    try {
      await this.#postbacks.start();
      return null;
    } catch (error) {
      this.#postbacks = undefined;
      return `could not listen for postbacks on port ${settings.postbackPort}: ${errorMessage(error)}`;
    }
  }

  /** Whether `shutdown()` ran, possibly while a start was awaiting. */
  #stopped(): boolean {
    return this.#stopping.signal.aborted;
  }

  #unavailable(reason: string): false {
    if (!this.#stopped()) this.#unavailableReason = this.#redactor.redact(reason);
    this.#logger.error({ reason: this.#unavailableReason }, "zerodha trader unavailable");
    return false;
  }

  #log(signal: SignalToExecute): Logger {
    return this.#logger.child({
      signal_id: signal.id,
      strategy_id: signal.data.original_signal.strategy_id,
    });
  }

  #fail(signal: SignalToExecute, code: KnownErrorCode, message: string): SubmitResult {
    return failed(signal, this.executionMode, code, message, isoNow(this.#clock));
  }
}
