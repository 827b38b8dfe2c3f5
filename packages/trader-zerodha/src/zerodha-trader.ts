import { setMaxListeners } from "node:events";
import {
  type Clock,
  type ExecutionResult,
  isoNow,
  type KnownErrorCode,
  type LastPrice,
  type Logger,
  type OrderPlaced,
  type SignalToExecute,
  type SqlPort,
  silentLogger,
  systemClock,
  type Trader,
  type TraderHealth,
  TraderUnavailableError,
} from "@engine/core";
import { istDate } from "./ist-time.js";
import {
  type AccessTokenSource,
  FileTokenSource,
  StaticTokenSource,
} from "./kite/access-token-source.js";
import { orderSpecFor } from "./placement/order-spec.js";
import { PostbackServer } from "./postbacks/postback-server.js";
import { failed, filledResult, placedResult } from "./results.js";
import { SecretRedactor } from "./secret-redactor.js";
import { orderTag } from "./tag.js";
import {
  buildComponents,
  type ZerodhaComponents,
  type ZerodhaTuning,
} from "./zerodha-components.js";
import type { ZerodhaSettings } from "./zerodha-settings.js";

export interface ZerodhaTraderOptions {
  settings: ZerodhaSettings;
  /** The namespace it executes for; `zerodha` by default. */
  namespace?: string;
  logger?: Logger;
  clock?: Clock;
  /** The engine's database, to keep the instrument dump across restarts; memory only without. */
  sql?: SqlPort;
  tuning?: ZerodhaTuning;
}

type State = "new" | "ready" | "stopped";

/**
 * Places real orders on Zerodha through Kite Connect (the official `kiteconnect` client).
 *
 * `executeOrder` answers `placed` once Kite accepted the order (never `filled`: fills come later),
 * and `awaitOrderCompletion` follows the order to `filled` or `failed`. A placement that got no
 * clear answer is reconciled by the order's tag before anything is placed again, and
 * `recoverOrder` does the same for a signal interrupted by a crash. Business outcomes are
 * results; nothing here throws for them.
 */
export class ZerodhaTrader implements Trader {
  readonly executionMode: string;
  readonly #settings: ZerodhaSettings;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #sql: SqlPort | undefined;
  readonly #tuning: ZerodhaTuning;
  readonly #redactor = new SecretRedactor();
  readonly #stopping = new AbortController();
  readonly #inFlight = new Map<string, Promise<ExecutionResult>>();
  #state: State = "new";
  #starting: Promise<boolean> | undefined;
  #unavailableReason = "not initialised";
  #parts: ZerodhaComponents | undefined;
  #postbacks: PostbackServer | undefined;

  constructor(options: ZerodhaTraderOptions) {
    this.executionMode = options.namespace ?? "zerodha";
    this.#settings = options.settings;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#sql = options.sql;
    this.#tuning = options.tuning ?? {};
    this.#redactor.add(options.settings.accessToken);
    this.#redactor.add(options.settings.apiSecret);
    // Every wait of every order listens to it: many at once is the normal case, not a leak.
    setMaxListeners(0, this.#stopping.signal);
  }

  /**
   * Verifies the Kite session (`getProfile`) and loads the instruments. Resolves false, with the
   * reason logged and reported by `health()`, when either fails. Concurrent and repeated calls
   * share one successful start; a failed start is tried again by the next call.
   */
  initialize(): Promise<boolean> {
    if (this.#state === "stopped") return Promise.resolve(false);
    if (this.#state === "ready") return Promise.resolve(true);
    this.#starting ??= this.#start().then((ok) => {
      if (!ok) this.#starting = undefined;
      return ok;
    });
    return this.#starting;
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
   * Places the signal's order and answers `placed` once Kite accepted it (or `failed`). The last
   * price is not needed: MARKET orders are priced by Kite within their market protection, and
   * LIMIT orders use the signal's validated price.
   */
  executeOrder(signal: SignalToExecute, _lastPrice: LastPrice): Promise<ExecutionResult> {
    // One placement per signal at a time: a second call for the same signal shares the first.
    const tag = orderTag(signal.id);
    const running = this.#inFlight.get(tag);
    if (running) return running;
    const attempt = this.#execute(signal).finally(() => this.#inFlight.delete(tag));
    this.#inFlight.set(tag, attempt);
    return attempt;
  }

  /**
   * Resolves a signal that was in flight when the engine stopped: the order is looked up by its
   * tag and adopted when found (`placed`); the signal is executed only when Kite's order book
   * confirms that no order carries the tag, and only for a signal of the current IST trading day.
   */
  async recoverOrder(signal: SignalToExecute, lastPrice: LastPrice): Promise<ExecutionResult> {
    const parts = this.#parts;
    if (this.#state !== "ready" || parts === undefined) {
      return this.#fail(
        signal,
        "TRADER_UNAVAILABLE",
        `zerodha trader is ${this.#unavailableReason}`,
      );
    }
    if (signal.data.original_signal.signal_type === "HOLD") {
      return this.#fail(signal, "INVALID_SIGNAL", "a HOLD signal places no order");
    }
    const tag = orderTag(signal.id);
    const log = this.#log(signal).child({ tag });
    const deadline = parts.gateway.now() + this.#settings.executionBudgetMs;
    const lookup = await parts.reconciler.findByTag(tag, deadline, this.#stopping.signal);
    if (lookup.kind === "found") {
      log.info({ order_id: lookup.order.order_id }, "recovered: the order exists at Kite");
      // The contract's price is the limit price, null for MARKET (whose protection Kite turns
      // into a limit of its own).
      const limitPrice =
        this.#settings.orderType === "LIMIT" && (lookup.order.price ?? 0) > 0
          ? (lookup.order.price ?? null)
          : null;
      return placedResult(
        signal,
        this.executionMode,
        lookup.order.order_id,
        limitPrice,
        isoNow(this.#clock),
      );
    }
    if (lookup.kind === "unknown") {
      return this.#fail(
        signal,
        "BROKER_UNAVAILABLE",
        `order state unknown: Kite's order book could not be read (${lookup.reason}); check Kite for tag ${tag} before trading this signal again`,
      );
    }
    // Kite's order book holds today's orders only: absence proves nothing about an older signal.
    if (istDate(Date.parse(signal.data.timestamp)) < istDate(this.#clock.now())) {
      return this.#fail(
        signal,
        "BROKER_UNAVAILABLE",
        `order state unknown: the signal is from an earlier trading day and Kite's order book lists today's orders only; check Kite for tag ${tag}`,
      );
    }
    log.info({}, "recovered: no order at Kite, executing the signal");
    return this.executeOrder(signal, lastPrice);
  }

  /**
   * Follows a placed order to its end: `filled` on COMPLETE (or on CANCELLED after a partial
   * fill, with the filled quantity), `failed` BROKER_REJECTED on REJECTED or on CANCELLED with
   * nothing filled. Keeps waiting through a token expiry. Rejects with an `AbortError` when
   * `abort` fires or the trader shuts down, and with `TraderUnavailableError` when the trader is
   * not running: in both cases the order's end is still unknown.
   */
  async awaitOrderCompletion(
    signal: SignalToExecute,
    placed: OrderPlaced,
    abort: AbortSignal,
  ): Promise<ExecutionResult> {
    const parts = this.#parts;
    if (this.#state !== "ready" || parts === undefined) {
      // Not a result: the order's end is unknown, and the engine tries again later.
      throw new TraderUnavailableError(this.executionMode, this.#unavailableReason);
    }
    const log = this.#log(signal).child({ order_id: placed.order_id });
    const end = await parts.follower.follow(
      placed.order_id,
      AbortSignal.any([abort, this.#stopping.signal]),
      log,
    );
    const timestamp = isoNow(this.#clock);
    switch (end.kind) {
      case "filled":
        return filledResult(
          signal,
          placed,
          this.executionMode,
          end,
          end.filledAt === null ? timestamp : new Date(end.filledAt).toISOString(),
        );
      case "rejected":
        return this.#fail(
          signal,
          "BROKER_REJECTED",
          this.#redactor.redact(end.message),
          placed.order_id,
        );
      case "vanished":
        return this.#fail(
          signal,
          "BROKER_UNAVAILABLE",
          this.#redactor.redact(end.message),
          placed.order_id,
        );
    }
  }

  async #execute(signal: SignalToExecute): Promise<ExecutionResult> {
    const parts = this.#parts;
    if (this.#state !== "ready" || parts === undefined) {
      return this.#fail(
        signal,
        "TRADER_UNAVAILABLE",
        `zerodha trader is ${this.#unavailableReason}`,
      );
    }
    const spec = orderSpecFor(signal, parts.store, this.#settings);
    if (!spec.ok) return this.#fail(signal, spec.code, spec.message);
    const log = this.#log(signal).child({ tag: spec.spec.tag });
    const result = await parts.placer.place(spec.spec, log, this.#stopping.signal);
    if (result.kind === "failed") {
      log.warn({ error_code: result.code, message: result.message }, "order not placed");
      return this.#fail(signal, result.code, result.message);
    }
    log.info({ order_id: result.orderId, adopted: result.adopted }, "order placed");
    return placedResult(
      signal,
      this.executionMode,
      result.orderId,
      spec.spec.limitPrice,
      isoNow(this.#clock),
    );
  }

  async #start(): Promise<boolean> {
    const settings = this.#settings;
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
    if (settings.postbackPort !== null && settings.apiSecret !== null) {
      this.#postbacks = new PostbackServer({
        port: settings.postbackPort,
        ...(settings.postbackHost === null ? {} : { host: settings.postbackHost }),
        apiSecret: settings.apiSecret,
        logger: this.#logger,
        onPostback: (postback) => parts.wakeups.wake(postback.orderId),
      });
      try {
        await this.#postbacks.start();
      } catch (error) {
        this.#postbacks = undefined;
        return this.#unavailable(
          `could not listen for postbacks on port ${settings.postbackPort}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
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

  #fail(
    signal: SignalToExecute,
    code: KnownErrorCode,
    message: string,
    orderId?: string,
  ): ExecutionResult {
    return failed(signal, this.executionMode, code, message, isoNow(this.#clock), orderId);
  }
}
