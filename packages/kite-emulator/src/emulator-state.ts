import { MarginAccount } from "./account/margin-account.js";
import { PriceBook } from "./account/price-book.js";
import { Session } from "./account/session.js";
import type { ResolvedOptions } from "./emulator-options.js";
import { FaultInjector } from "./faults/fault-injector.js";
import { DEFAULT_INSTRUMENTS } from "./instruments/default-instruments.js";
import { InstrumentTable } from "./instruments/instrument-table.js";
import { generateSyntheticInstruments } from "./instruments/synthetic-instruments.js";
import { OrderRateLimiter } from "./limits/order-rate-limiter.js";
import { type EmulatorStats, StatsCollector } from "./observability/emulator-stats.js";
import { RequestLog } from "./observability/request-log.js";
import type { FillSettings } from "./orders/fill-settings.js";
import type { KiteOrder } from "./orders/kite-order.js";
import { OrderBook } from "./orders/order-book.js";
import { PostbackSender } from "./postbacks/postback-sender.js";

/**
 * Everything the emulator knows, shared by the Kite routes, the admin routes and the public
 * facade. Internal: the public surface is `KiteEmulator`.
 */
export class EmulatorState {
  readonly options: ResolvedOptions;
  readonly clock: () => number;
  readonly instruments: InstrumentTable;
  readonly prices = new PriceBook();
  readonly session: Session;
  readonly margin: MarginAccount;
  readonly faults: FaultInjector;
  readonly limiter: OrderRateLimiter;
  readonly stats = new StatsCollector();
  readonly log: RequestLog;
  readonly book: OrderBook;
  readonly postbacks: PostbackSender | undefined;
  readonly fills: FillSettings;

  constructor(options: ResolvedOptions, clock: () => number, random: () => number) {
    this.options = options;
    this.clock = clock;
    const base = options.instruments ?? DEFAULT_INSTRUMENTS;
    this.instruments = new InstrumentTable(
      options.syntheticInstruments > 0
        ? [...base, ...generateSyntheticInstruments(options.syntheticInstruments)]
        : base,
    );
    this.session = new Session(options.apiKey, options.accessToken);
    this.margin = new MarginAccount(options.availableMargin);
    this.faults = new FaultInjector(random, options.orderBookLagMs);
    this.limiter = new OrderRateLimiter({
      perSecond: options.ordersPerSecond,
      perMinute: options.ordersPerMinute,
    });
    this.log = new RequestLog(options.requestLogLimit);
    this.fills = initialFills(options);
    this.postbacks =
      options.postbackUrl !== undefined && options.apiSecret !== undefined
        ? new PostbackSender(
            {
              url: options.postbackUrl,
              apiSecret: options.apiSecret,
              apiKey: options.apiKey,
              userId: options.userId,
            },
            (ok) => this.stats.postback(ok),
          )
        : undefined;
    this.book = new OrderBook({
      clock,
      prices: this.prices,
      margin: this.margin,
      userId: options.userId,
      fills: () => this.fills,
      orderBookLagMs: () => this.faults.orderBookLagMs,
      onState: (state: KiteOrder) => this.postbacks?.send(state),
    });
  }

  /** The counters of `stats()`, with the order book's current figures. */
  snapshotStats(): EmulatorStats {
    return this.stats.snapshot({ orders: this.book.latest(), held: this.book.heldCount() });
  }

  /** Back to the state right after construction; order ids keep counting. */
  reset(): void {
    this.book.clear();
    this.prices.clear();
    this.session.rotate(this.options.accessToken);
    this.margin.reset(this.options.availableMargin);
    this.faults.clear();
    this.limiter.clear();
    this.stats.clear();
    this.log.clear();
    Object.assign(this.fills, initialFills(this.options));
  }
}

function initialFills(options: ResolvedOptions): FillSettings {
  return {
    fillDelayMs: options.fillDelayMs,
    fillSteps: options.fillSteps,
    hold: false,
    holdAfterFills: 0,
  };
}
