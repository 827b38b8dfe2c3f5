import { setMaxListeners } from "node:events";
import {
  type CancelOutcome,
  type Clock,
  errorMessage,
  failedResult,
  type InstrumentRegistry,
  isoNow,
  type KnownErrorCode,
  type LastPrice,
  type Logger,
  type OrderQuery,
  type OrderRef,
  type OrderStatusBatch,
  placedResult,
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
import { z } from "zod";
import { InstrumentMaster } from "./instruments/instrument-master.js";
import { InstrumentTable } from "./instruments/instrument-table.js";
import { RateGate } from "./limits/rate-gate.js";
import { reportOf, rowsOf } from "./orders/order-report.js";
import { orderSpecFor } from "./orders/order-spec.js";
import { AccessToken } from "./sdk/access-token.js";
import type { UpstoxAnswer } from "./sdk/upstox-answer.js";
import { type NotSent, UpstoxGateway } from "./sdk/upstox-gateway.js";
import type { UpstoxSettings } from "./upstox-settings.js";

/** What an {@link UpstoxTrader} is built from; `settings` come from the `UPSTOX_*` variables. */
export interface UpstoxTraderOptions {
  /** The Upstox account, hosts, timeouts and limits (`UpstoxSettingsSchema`). */
  settings: UpstoxSettings;
  /** The namespace it executes for; `upstox` by default. */
  namespace?: string;
  logger?: Logger;
  clock?: Clock;
  /** The platform's instruments (Kite's tokens): without it every signal is INSTRUMENT_NOT_FOUND. */
  instruments?: InstrumentRegistry;
  /** The engine's database, to keep Upstox's instrument master across restarts. */
  sql?: SqlPort;
}

const PlacedBody = z.object({ data: z.object({ order_ids: z.array(z.string().min(1)).min(1) }) });

/**
 * Places real orders on Upstox through the official `upstox-js-sdk` (v3 place and cancel), as a
 * `Trader` of the contract's second version.
 *
 * `executeOrder` maps the signal's instrument (Kite's token, through the instrument registry and
 * the exchange's own token) to Upstox's instrument key and sends at most one placement, tagged
 * with the engine's client order id. It answers `placed`, `failed` (refused: nothing is working at
 * Upstox; a 401 also makes the trader unavailable until the token rotates) or `unknown` (no clear
 * answer: the engine looks the tag up with `queryOrder`). Insufficient funds are not a refusal on
 * Upstox: the order is created and its status reports end `rejected` with Upstox's message.
 */
export class UpstoxTrader implements Trader {
  readonly executionMode: string;
  readonly capabilities: TraderCapabilities;
  readonly #settings: UpstoxSettings;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #registry: InstrumentRegistry | undefined;
  readonly #master: InstrumentMaster;
  readonly #token: AccessToken;
  readonly #stopping = new AbortController();
  /** Placements running, by client order id. */
  readonly #placements = new SingleFlight<string, SubmitResult>();
  #gateway: UpstoxGateway | undefined;
  #state: "new" | "ready" | "stopped" = "new";
  readonly #starts = new SingleFlight<undefined, boolean>();
  #why = "not initialised";
  #tokenTimer: NodeJS.Timeout | undefined;

  constructor(options: UpstoxTraderOptions) {
    const settings = options.settings;
    this.executionMode = options.namespace ?? "upstox";
    this.#settings = settings;
    this.#logger = (options.logger ?? silentLogger).child({ namespace: this.executionMode });
    this.#clock = options.clock ?? systemClock;
    this.#registry = options.instruments;
    this.#token = new AccessToken(settings.accessTokenFile, settings.accessToken);
    this.#master = new InstrumentMaster({
      url: settings.instrumentsUrl,
      timeoutMs: settings.timeoutMs,
      table: options.sql ? new InstrumentTable(options.sql) : null,
      logger: this.#logger,
      now: () => new Date(this.#clock.now()),
    });
    setMaxListeners(0, this.#stopping.signal);
    this.capabilities = Object.freeze({
      followsOrders: true,
      queryByClientOrderId: true,
      batchStatusReports: true,
      cancel: true,
      orderVisibilityMs: settings.orderVisibilityMs,
      statusPollIntervalMs: settings.statusPollMs,
      maxSubmitMs: settings.maxQueueMs + settings.timeoutMs + 1_000,
      // Upstox's limits are per account: every engine instance on it shares them.
      orderBudget: {
        perSecond: settings.limits.ordersPerSecond,
        perMinute: settings.limits.ordersPerMinute,
        perHalfHour: settings.limits.ordersPerHalfHour,
        perDay: settings.limits.ordersPerDay,
      },
    });
  }

  /**
   * Reads the token, verifies it (`GET /v2/user/profile`) and loads the instrument master.
   * Resolves false, with the reason in `health()`, when any fails; a later call tries again.
   */
  initialize(): Promise<boolean> {
    if (this.#state === "stopped") return Promise.resolve(false);
    if (this.#state === "ready") return Promise.resolve(true);
    return this.#starts.run(undefined, () => this.#start());
  }

  /** Stops the timers and gives every queued call up. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    this.#why = "shut down";
    this.#stopping.abort();
    clearInterval(this.#tokenTimer);
    this.#master.stop();
    this.#gateway?.close();
  }

  /** Ready; or unavailable while not initialised, shut down, or the token is refused. */
  health(): TraderHealth {
    const gateway = this.#running();
    if (gateway === undefined) return { status: "unavailable", reason: this.#why };
    if (gateway.tokenProblem !== null)
      return { status: "unavailable", reason: gateway.tokenProblem };
    return { status: "ready" };
  }

  /**
   * Places the signal's order with `context.clientOrderId` as its tag, sending at most one
   * request after a slot of the order limiter (10/s, 500/min by default; `failed` RATE_LIMITED
   * after `UPSTOX_MAX_QUEUE_MS`, nothing sent). `context.abort` is checked right before sending.
   */
  executeOrder(
    signal: SignalToExecute,
    lastPrice: LastPrice,
    context: SubmitContext,
  ): Promise<SubmitResult> {
    // Never two placements with one tag at once: a second call shares the first one's answer.
    return this.#placements.run(context.clientOrderId, () =>
      this.#execute(signal, lastPrice, context),
    );
  }

  async #execute(
    signal: SignalToExecute,
    lastPrice: LastPrice,
    context: SubmitContext,
  ): Promise<SubmitResult> {
    const gateway = this.#running();
    if (gateway === undefined)
      return this.#fail(signal, "TRADER_UNAVAILABLE", `upstox trader is ${this.#why}`);
    if (gateway.tokenProblem !== null)
      return this.#fail(signal, "TRADER_UNAVAILABLE", gateway.tokenProblem);
    const token = signal.data.original_signal.instrument_token;
    let instrument: Awaited<ReturnType<InstrumentRegistry["lookup"]>>;
    try {
      instrument = (await this.#registry?.lookup(token)) ?? null;
    } catch (error) {
      return this.#fail(
        signal,
        "TRADER_UNAVAILABLE",
        `instrument registry unavailable: ${errorMessage(error)}`,
      );
    }
    const upstoxInstrument =
      instrument === null ? undefined : this.#master.index.resolve(instrument);
    if (instrument === null || upstoxInstrument === undefined) {
      return this.#fail(
        signal,
        "INSTRUMENT_NOT_FOUND",
        instrument === null
          ? `instrument ${token} is not in the instrument registry`
          : `instrument ${token} (${instrument.exchange}:${instrument.tradingSymbol}) has no Upstox instrument`,
      );
    }
    const spec = orderSpecFor(
      signal,
      lastPrice,
      instrument,
      upstoxInstrument,
      this.#settings,
      context.clientOrderId,
    );
    if (!spec.ok) return this.#fail(signal, spec.code, spec.message);
    const log = this.#logger.child({
      signal_id: signal.id,
      strategy_id: signal.data.original_signal.strategy_id,
      tag: context.clientOrderId,
    });
    const abort = AbortSignal.any([context.abort, this.#stopping.signal]);
    const answer = await gateway.place(spec.body, abort);
    switch (answer.kind) {
      case "ok": {
        const placed = PlacedBody.safeParse(answer.body);
        if (!placed.success)
          return { kind: "unknown", reason: "Upstox's success carried no order id" };
        const orderId = placed.data.data.order_ids[0] as string;
        log.info(
          { order_id: orderId, instrument_key: upstoxInstrument.instrumentKey },
          "order placed",
        );
        return placedResult(signal, {
          namespace: this.executionMode,
          orderId,
          price: spec.limitPrice,
          timestamp: isoNow(this.#clock),
        });
      }
      case "not_sent":
        return answer.reason === "aborted"
          ? this.#fail(signal, "TRADER_UNAVAILABLE", "the submission was withdrawn before sending")
          : this.#fail(signal, "RATE_LIMITED", "no order slot within UPSTOX_MAX_QUEUE_MS");
      case "refused":
        log.warn({ message: answer.message }, "order refused");
        return this.#fail(signal, "BROKER_REJECTED", this.#redact(answer.message));
      case "token":
        log.error(
          { message: answer.message },
          "access token refused: unavailable until it rotates",
        );
        return this.#fail(signal, "TRADER_UNAVAILABLE", this.#redact(answer.message));
      case "rate_limited":
        return this.#fail(signal, "RATE_LIMITED", this.#redact(answer.message));
      case "ambiguous":
        log.warn({ reason: answer.reason }, "placement unanswered: the engine resolves it by tag");
        return { kind: "unknown", reason: this.#redact(answer.reason) };
    }
  }

  /**
   * Where one order stands: `GET /v2/order/history` by its Upstox id when known, else by its tag
   * (the client order id). `unknown` when Upstox cannot be asked.
   */
  async queryOrder(ref: OrderRef): Promise<OrderQuery> {
    const gateway = this.#asking();
    if (typeof gateway === "string") return { kind: "unknown", reason: gateway };
    const answer = await gateway.history(
      ref.orderId === null ? { tag: ref.clientOrderId } : { orderId: ref.orderId },
    );
    if (answer.kind === "refused" && answer.code === "UDAPI100010") return { kind: "absent" };
    if (answer.kind !== "ok") return { kind: "unknown", reason: this.#reasonOf(answer) };
    // History has one row per state change, earliest first: the last row of the order is now.
    const rows = rowsOf(answer.body).filter((row) => row.tag === ref.clientOrderId);
    const first = rows[0];
    if (first === undefined) return { kind: "absent" };
    const latest = rows.filter((row) => row.order_id === first.order_id).at(-1) ?? first;
    const report = reportOf(latest);
    return report === null ? { kind: "absent" } : { kind: "found", report };
  }

  /** Reports of many orders from one `GET /v2/order/retrieve-all`; orders not there are left out. */
  async orderStatusReports(refs: readonly OrderRef[]): Promise<OrderStatusBatch> {
    const gateway = this.#asking();
    if (typeof gateway === "string") return { kind: "unavailable", reason: gateway };
    const answer = await gateway.retrieveAll();
    if (answer.kind !== "ok") return { kind: "unavailable", reason: this.#reasonOf(answer) };
    const wanted = new Set(refs.map((ref) => ref.clientOrderId));
    const reports = rowsOf(answer.body)
      .map(reportOf)
      .filter((report) => report !== null && wanted.has(report.clientOrderId));
    return { kind: "ok", reports: reports as NonNullable<(typeof reports)[number]>[] };
  }

  /** Asks Upstox to cancel (`DELETE /v3/order/cancel`), finding the order id by tag if needed. */
  async cancelOrder(ref: OrderRef): Promise<CancelOutcome> {
    const gateway = this.#asking();
    if (typeof gateway === "string") return { kind: "failed", reason: gateway, retryable: true };
    let orderId = ref.orderId;
    if (orderId === null) {
      const found = await this.queryOrder(ref);
      if (found.kind !== "found") {
        return {
          kind: "failed",
          reason: "no order with this client order id at Upstox yet",
          retryable: true,
        };
      }
      orderId = found.report.orderId;
    }
    const answer = await gateway.cancel(orderId);
    if (answer.kind === "ok") return { kind: "requested" };
    if (
      answer.kind === "refused" &&
      (answer.code === "UDAPI100040" || answer.code === "UDAPI100041")
    ) {
      return { kind: "too_late", reason: answer.message };
    }
    return {
      kind: "failed",
      reason: this.#reasonOf(answer),
      retryable: answer.kind !== "refused",
    };
  }

  async #start(): Promise<boolean> {
    await this.#token.refresh();
    const token = this.#token.current;
    if (token === null)
      return this.#unavailable(
        "no Upstox access token (UPSTOX_ACCESS_TOKEN or UPSTOX_ACCESS_TOKEN_FILE)",
      );
    const settings = this.#settings;
    const gateway =
      this.#gateway ??
      new UpstoxGateway({
        apiRoot: settings.apiRoot,
        orderApiRoot: settings.orderApiRoot,
        timeoutMs: settings.timeoutMs,
        algoName: settings.algoName,
        token,
        orderGate: new RateGate([
          { limit: settings.limits.ordersPerSecond, windowMs: 1_000 },
          { limit: settings.limits.ordersPerMinute, windowMs: 60_000 },
          { limit: settings.limits.ordersPerHalfHour, windowMs: 30 * 60_000 },
        ]),
        reads: new RateGate([{ limit: settings.limits.readsPerSecond, windowMs: 1_000 }]),
        maxQueueMs: settings.maxQueueMs,
      });
    this.#gateway = gateway;
    gateway.setToken(token);
    const profile = await gateway.profile();
    if (profile.kind !== "ok")
      return this.#unavailable(`could not verify the Upstox session: ${this.#reasonOf(profile)}`);
    if (!(await this.#master.load()))
      return this.#unavailable("Upstox instrument master unavailable");
    if (this.#stopping.signal.aborted) return false;
    this.#master.start();
    this.#tokenTimer = setInterval(() => void this.#rotate(), settings.tokenPollMs);
    this.#tokenTimer.unref();
    this.#state = "ready";
    this.#logger.info({ instruments: this.#master.index.size }, "upstox trader ready");
    return true;
  }

  /** Takes a rotated token from the file; the next call uses it and the trader is healthy again. */
  async #rotate(): Promise<void> {
    if (!(await this.#token.refresh())) return;
    const token = this.#token.current;
    if (token !== null && this.#gateway !== undefined) {
      this.#gateway.setToken(token);
      this.#logger.info({}, "upstox access token rotated");
    }
  }

  #running(): UpstoxGateway | undefined {
    return this.#state === "ready" ? this.#gateway : undefined;
  }

  /** The gateway to ask, or why Upstox cannot be asked. */
  #asking(): UpstoxGateway | string {
    const gateway = this.#running();
    if (gateway === undefined) return `upstox trader is ${this.#why}`;
    return gateway.tokenProblem ?? gateway;
  }

  #reasonOf(answer: UpstoxAnswer | NotSent): string {
    switch (answer.kind) {
      case "ok":
        return "answered";
      case "not_sent":
        return answer.reason === "aborted" ? "shut down" : "no request slot in time";
      case "ambiguous":
        return this.#redact(answer.reason);
      default:
        return this.#redact(answer.message);
    }
  }

  /** Second line of defence: Upstox's messages should never echo the token. */
  #redact(text: string): string {
    const token = this.#token.current;
    return token !== null && token.length >= 6 ? text.replaceAll(token, "[redacted]") : text;
  }

  #unavailable(reason: string): false {
    if (!this.#stopping.signal.aborted) this.#why = this.#redact(reason);
    this.#logger.error({ reason: this.#why }, "upstox trader unavailable");
    return false;
  }

  #fail(signal: SignalToExecute, code: KnownErrorCode, message: string): SubmitResult {
    return failedResult(signal, {
      namespace: this.executionMode,
      code,
      message,
      timestamp: isoNow(this.#clock),
    });
  }
}
