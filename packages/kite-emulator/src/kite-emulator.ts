import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type KiteEmulatorOptions, KiteEmulatorOptionsSchema } from "./emulator-options.js";
import { EmulatorState } from "./emulator-state.js";
import { EmulatorStateError, UnknownInstrumentError } from "./errors.js";
import { applyFaultSettings } from "./faults/apply-fault-settings.js";
import {
  type ActiveFaults,
  type FaultSettings,
  FaultSettingsSchema,
} from "./faults/fault-settings.js";
import { createRequestListener } from "./http/handle-request.js";
import { TimerSet } from "./http/timer-set.js";
import type { EmulatorStats } from "./observability/emulator-stats.js";
import type { LoggedRequest } from "./observability/request-log.js";
import { type FillSettingsUpdate, fillSettingsAfter } from "./orders/fill-settings.js";
import type { EmulatedOrder, KiteOrder } from "./orders/kite-order.js";

/** Where {@link KiteEmulator.start} listens. */
export interface StartOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface; default `127.0.0.1`. */
  host?: string;
}

/** How often orders are advanced in the background, only needed to send postbacks on time. */
const POSTBACK_TICK_MS = 10;

/**
 * A local HTTP server speaking the order, instrument and user endpoints of Kite Connect v3, with
 * Kite's envelopes, status codes, order lifecycle and rate limits, plus fault injection. Point
 * the real `kiteconnect` client at it with `root: await emulator.start()`.
 *
 * @example
 * ```ts
 * const emulator = new KiteEmulator({ apiKey: "k", accessToken: "t" });
 * const root = await emulator.start();
 * const kite = new KiteConnect({ api_key: "k", access_token: "t", root });
 * // ...
 * await emulator.stop();
 * ```
 */
export class KiteEmulator {
  readonly #state: EmulatorState;
  readonly #timers = new TimerSet();
  #server: Server | undefined;
  #url: string | undefined;
  #ticker: NodeJS.Timeout | undefined;

  /** @throws ZodError when an option is invalid. */
  constructor(options: KiteEmulatorOptions = {}) {
    const { clock, random, ...serialisable } = options;
    this.#state = new EmulatorState(
      KiteEmulatorOptionsSchema.parse(serialisable),
      clock ?? Date.now,
      random ?? Math.random,
    );
  }

  /** Starts listening and resolves with the base URL, e.g. `http://127.0.0.1:40123`. */
  async start(options: StartOptions = {}): Promise<string> {
    if (this.#server !== undefined) throw new EmulatorStateError("emulator already started");
    const host = options.host ?? "127.0.0.1";
    const server = createServer(createRequestListener(this.#state, this.#timers));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    if (this.#state.postbacks !== undefined) {
      this.#ticker = setInterval(() => this.#state.book.advanceAll(), POSTBACK_TICK_MS);
      this.#ticker.unref();
    }
    return this.#url;
  }

  /** Stops at once: pending delayed answers are dropped and every open socket is closed. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    this.#url = undefined;
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    this.#timers.clear();
    this.#state.postbacks?.abandon();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Base URL of the running server. @throws EmulatorStateError when not started. */
  get url(): string {
    if (this.#url === undefined) throw new EmulatorStateError("emulator not started");
    return this.#url;
  }

  /** The api_key the emulator accepts. */
  get apiKey(): string {
    return this.#state.session.apiKey;
  }

  /** The access token currently accepted, or null after {@link KiteEmulator.expireToken}. */
  get accessToken(): string | null {
    return this.#state.session.accessToken;
  }

  /** Number of rows in the instrument table. */
  get instrumentCount(): number {
    return this.#state.instruments.size;
  }

  /** Accepts `token` from now on; the previous token is rejected with TokenException. */
  setAccessToken(token: string): void {
    this.#state.session.rotate(token);
  }

  /** Invalidates the current token, as at 06:00 IST or after a logout. */
  expireToken(): void {
    this.#state.session.expire();
  }

  /**
   * Sets the market price that orders on this instrument fill at (the instrument dump keeps
   * its own last_price, as Kite's daily dump does). Open LIMIT and SL orders re-check it.
   * @throws UnknownInstrumentError
   */
  setPrice(exchange: string, tradingsymbol: string, price: number): void {
    if (this.#state.instruments.find(exchange, tradingsymbol) === undefined) {
      throw new UnknownInstrumentError(exchange, tradingsymbol);
    }
    this.#state.prices.set(exchange, tradingsymbol, price);
  }

  /** Makes `amount` of equity cash available for new orders. */
  setAvailableMargin(amount: number): void {
    this.#state.margin.setAvailable(amount);
  }

  /**
   * Changes how orders placed from now on fill; fields left out keep their value. With
   * `hold: true` they stop OPEN before their next fill once `holdAfterFills` (default 0) of their
   * `fillSteps` fills are done, until {@link KiteEmulator.releaseOrders} or a cancel ends the hold.
   * `hold: false` affects later orders only: release the held ones with `releaseOrders`.
   * @throws ZodError when a value is invalid, or when `hold` is on and `holdAfterFills` is not
   *   below `fillSteps`.
   */
  setFills(fills: FillSettingsUpdate): void {
    Object.assign(this.#state.fills, fillSettingsAfter(this.#state.fills).parse(fills));
  }

  /**
   * Lets held orders go on: each makes its next fill now and the rest at the usual pace (a LIMIT
   * order away from the market keeps waiting for its price). Releases every held order, or only
   * those in `orderIds`; ids that are unknown or not held are skipped.
   * @returns the ids of the orders released, in placement order.
   */
  releaseOrders(orderIds?: readonly string[]): string[] {
    return this.#state.book.release(orderIds);
  }

  /**
   * Injects faults: a given key replaces that fault, `null` clears it, others are kept.
   * @throws ZodError when the settings are invalid.
   */
  setFaults(settings: FaultSettings): void {
    applyFaultSettings(this.#state, FaultSettingsSchema.parse(settings));
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.#state.faults.clear();
  }

  /** The faults in force, with what is left of each `next` count. */
  faults(): ActiveFaults {
    return this.#state.faults.snapshot();
  }

  /** Every order of the day with its current state and history, in placement order. */
  orders(): EmulatedOrder[] {
    return this.#state.book.all();
  }

  /** The states of one order, oldest first, or undefined for an unknown id. */
  orderHistory(orderId: string): KiteOrder[] | undefined {
    return this.#state.book.history(orderId);
  }

  /** Kite API requests received, oldest first, with `authorization` redacted. */
  requests(): LoggedRequest[] {
    return this.#state.log.entries();
  }

  /**
   * Counters: requests and peak request rates by route, placements, modifications and
   * cancellations, tags, order statuses, held orders, rate limiting, faults, postbacks.
   */
  stats(): EmulatorStats {
    return this.#state.snapshotStats();
  }

  /**
   * The most Kite API requests to any of `routes` within any sliding one-second window since
   * the start (or the last reset), refused ones included; of every route when omitted, 0 for a
   * route never called. Routes are keyed as in `stats().requestsByPath`: `"GET /orders"`,
   * `"GET /orders/:order_id"`, `"GET /orders/:order_id/trades"`, `"GET /trades"`,
   * `"POST /orders/:variety"`, … Several routes are counted together, e.g. every order-book read.
   */
  maxRequestsInAnySecond(routes?: string | readonly string[]): number {
    return this.#state.stats.maxRequestsInAnySecond(routes);
  }

  /** Resolves when every postback queued so far has been attempted. */
  async flushPostbacks(): Promise<void> {
    this.#state.book.advanceAll();
    await this.#state.postbacks?.drain();
  }

  /**
   * Back to the constructed state: no orders, logs, stats, faults or price overrides; the
   * initial token and margin. Order ids keep counting so they stay unique.
   */
  reset(): void {
    this.#state.reset();
  }
}
