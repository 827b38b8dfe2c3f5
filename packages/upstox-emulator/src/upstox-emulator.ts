import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { z } from "zod";
import { FaultBoard, type FaultKind, type FaultSettings } from "./faults/fault-settings.js";
import {
  createListener,
  type ListenerState,
  type LoggedUpstoxRequest,
  MASTER_PATH,
} from "./http/handle-request.js";
import { RequestWindows } from "./http/request-windows.js";
import {
  DEFAULT_UPSTOX_INSTRUMENTS,
  renderInstrumentMaster,
  type UpstoxInstrument,
} from "./instruments/instrument-master.js";
import { type FillPlan, UpstoxOrderBook } from "./orders/order-book.js";
import type { EmulatedUpstoxOrder } from "./orders/upstox-order.js";

/** Options of the emulator; every one has a default. */
export const UpstoxEmulatorOptionsSchema = z.object({
  accessToken: z.string().min(1).default("upstox-emulator-token"),
  userId: z.string().min(1).default("EMU123"),
  /** Rupees available for BUY orders; a BUY beyond it ends `rejected` (insufficient funds). */
  availableFunds: z.number().nonnegative().default(10_000_000),
  fillDelayMs: z.number().int().nonnegative().default(0),
  fillSteps: z.number().int().positive().default(1),
  /** Milliseconds a new order stays out of `/v2/order/history` and `/v2/order/retrieve-all`. */
  listingLagMs: z.number().int().nonnegative().default(0),
  /** Upstox's order-API limits (place and cancel budgeted together). */
  ordersPerSecond: z.number().int().positive().default(10),
  ordersPerMinute: z.number().int().positive().default(500),
  /** Upstox's 30-minute order limit for an algo not registered with the exchange. */
  ordersPerHalfHour: z.number().int().positive().default(2_000),
  readsPerSecond: z.number().int().positive().default(50),
});
export type UpstoxEmulatorOptions = z.input<typeof UpstoxEmulatorOptionsSchema> & {
  instruments?: readonly UpstoxInstrument[];
  clock?: () => number;
  random?: () => number;
};

/** Counters for assertions. */
export interface UpstoxEmulatorStats {
  /** Place and cancel requests received in the busiest one-second window. */
  peakOrderRequestsPerSecond: number;
  peakReadRequestsPerSecond: number;
  faultsFired: Partial<Record<FaultKind, number>>;
}

/**
 * A local HTTP server speaking the part of Upstox's API the Upstox trader uses: v3 place and
 * cancel, v2 order details, history (by order id or tag) and retrieve-all, the user profile, and
 * the instrument master. Both of Upstox's hosts are this one port. Point `upstox-js-sdk` at it
 * with `client.basePath = client.orderBasePath = await emulator.start()`.
 */
export class UpstoxEmulator {
  readonly #options: z.output<typeof UpstoxEmulatorOptionsSchema>;
  readonly #state: ListenerState;
  readonly #prices = new Map<string, number>();
  readonly #funds: { available: number };
  readonly #fills: FillPlan;
  readonly #instruments: Map<string, UpstoxInstrument>;
  #listingLagMs: number;
  #token: string | null;
  #server: Server | undefined;
  #url: string | undefined;

  /** @throws ZodError when an option is invalid. */
  constructor(options: UpstoxEmulatorOptions = {}) {
    const { instruments, clock, random, ...rest } = options;
    this.#options = UpstoxEmulatorOptionsSchema.parse(rest);
    const o = this.#options;
    const now = clock ?? Date.now;
    this.#instruments = new Map(
      (instruments ?? DEFAULT_UPSTOX_INSTRUMENTS).map((row) => [row.instrument_key, row]),
    );
    this.#token = o.accessToken;
    this.#funds = { available: o.availableFunds };
    this.#fills = {
      fillDelayMs: o.fillDelayMs,
      fillSteps: o.fillSteps,
      hold: false,
      holdAfterFills: 0,
    };
    this.#listingLagMs = o.listingLagMs;
    const book = new UpstoxOrderBook({
      clock: now,
      priceOf: (instrument) => this.#prices.get(instrument.instrument_key) ?? instrument.last_price,
      funds: this.#funds,
      fills: () => this.#fills,
      listingLagMs: () => this.#listingLagMs,
    });
    const master = renderInstrumentMaster([...this.#instruments.values()]);
    this.#state = {
      book,
      instrument: (key) => this.#instruments.get(key),
      userId: o.userId,
      clock: now,
      token: () => this.#token,
      faults: new FaultBoard(random ?? Math.random),
      orderWindows: new RequestWindows([
        { limit: o.ordersPerSecond, windowMs: 1_000 },
        { limit: o.ordersPerMinute, windowMs: 60_000 },
        { limit: o.ordersPerHalfHour, windowMs: 30 * 60_000 },
      ]),
      readWindows: new RequestWindows([{ limit: o.readsPerSecond, windowMs: 1_000 }]),
      master: () => master,
      log: [],
      silent: new Set(),
    };
  }

  /** Starts listening; resolves with the base URL (both hosts), e.g. `http://127.0.0.1:40123`. */
  async start(options: { port?: number; host?: string } = {}): Promise<string> {
    if (this.#server !== undefined) throw new Error("upstox emulator already started");
    const host = options.host ?? "127.0.0.1";
    const server = createServer(createListener(this.#state)).listen(options.port ?? 0, host);
    // `once` rejects on "error" (a port in use) as well as resolving on "listening".
    await once(server, "listening");
    this.#server = server;
    this.#url = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this.#url;
  }

  /** Stops at once, closing every open socket (held ones included). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = this.#url = undefined;
    server?.closeAllConnections();
    if (server !== undefined) await promisify(server.close.bind(server))();
  }

  /** Base URL of the running server. @throws Error when not started. */
  get url(): string {
    if (this.#url === undefined) throw new Error("upstox emulator not started");
    return this.#url;
  }

  /** URL of the gzip'd instrument master. @throws Error when not started. */
  get instrumentMasterUrl(): string {
    return `${this.url}${MASTER_PATH}`;
  }

  /** The token accepted now, or null after {@link expireToken}. */
  get accessToken(): string | null {
    return this.#token;
  }

  /** Accepts `token` from now on; any other is refused with 401 `UDAPI100050`. */
  setAccessToken(token: string): void {
    this.#token = token;
  }

  /** Refuses every token (as after 03:30 IST) until {@link setAccessToken}. */
  expireToken(): void {
    this.#token = null;
  }

  /** The market price orders on `instrumentKey` fill at. @throws Error for an unknown key. */
  setPrice(instrumentKey: string, price: number): void {
    if (!this.#instruments.has(instrumentKey))
      throw new Error(`unknown instrument ${instrumentKey}`);
    this.#prices.set(instrumentKey, price);
  }

  /** Rupees available for new BUY orders. */
  setAvailableFunds(amount: number): void {
    this.#funds.available = amount;
  }

  /** Changes how orders placed from now on fill; missing fields keep their value. */
  setFills(plan: Partial<FillPlan>): void {
    Object.assign(this.#fills, plan);
  }

  /** Milliseconds new orders stay out of history and retrieve-all. */
  setListingLag(ms: number): void {
    this.#listingLagMs = ms;
  }

  /** Lets held orders fill; answers the ids released. */
  releaseOrders(orderIds?: readonly string[]): string[] {
    return this.#state.book.release(orderIds);
  }

  /** Injects faults (a key replaces, `null` clears, a missing key keeps). @throws ZodError */
  setFaults(settings: FaultSettings): void {
    this.#state.faults.apply(settings);
  }

  clearFaults(): void {
    this.#state.faults.clear();
  }

  /** Every order of the day with its history, in placement order. */
  orders(): EmulatedUpstoxOrder[] {
    return this.#state.book.all();
  }

  /** API requests received, oldest first (never the token). */
  requests(): LoggedUpstoxRequest[] {
    return [...this.#state.log];
  }

  stats(): UpstoxEmulatorStats {
    return {
      peakOrderRequestsPerSecond: this.#state.orderWindows.peakPerSecond,
      peakReadRequestsPerSecond: this.#state.readWindows.peakPerSecond,
      faultsFired: Object.fromEntries(this.#state.faults.fired),
    };
  }

  /** Back to the constructed state: no orders, requests, faults or prices; ids keep counting. */
  reset(): void {
    const o = this.#options;
    this.#state.book.clear();
    this.#state.faults.clear();
    this.#state.faults.fired.clear();
    this.#state.orderWindows.reset();
    this.#state.readWindows.reset();
    this.#state.log.length = 0;
    this.#prices.clear();
    this.#token = o.accessToken;
    this.#funds.available = o.availableFunds;
    Object.assign(this.#fills, {
      fillDelayMs: o.fillDelayMs,
      fillSteps: o.fillSteps,
      hold: false,
      holdAfterFills: 0,
    });
    this.#listingLagMs = o.listingLagMs;
  }
}
