import type { Clock, Logger, SqlPort } from "@engine/core";
import { OrderCanceller } from "./cancel/order-canceller.js";
import { KiteCallError } from "./errors.js";
import type { Instrument } from "./instruments/instrument.js";
import { instrumentsFromDump } from "./instruments/instrument-csv.js";
import { InstrumentRefresher } from "./instruments/instrument-refresher.js";
import { InstrumentRepository } from "./instruments/instrument-repository.js";
import { InstrumentStore } from "./instruments/instrument-store.js";
import type { AccessTokenSource } from "./kite/access-token-source.js";
import { createKiteApi, type KiteApi } from "./kite/kite-api.js";
import { KiteGateway } from "./kite/kite-gateway.js";
import { DailyOrderCap } from "./limits/daily-order-cap.js";
import { RateLimiter } from "./limits/rate-limiter.js";
import { OrderPlacer } from "./placement/order-placer.js";
import { OrderStatusReader } from "./reports/order-status-reader.js";
import type { SecretRedactor } from "./secret-redactor.js";
import type { ZerodhaSettings } from "./zerodha-settings.js";

/** Knobs that tests turn; production uses the defaults. */
export interface ZerodhaTuning {
  /** How often the token file is looked at while the token is rejected (default 1 s). */
  tokenWatchMs?: number;
  /** How often an unchanged rejected token is tried again (default 60 s). */
  reverifyMs?: number;
  /** Added to every rate window, for clock differences with the server (default 0). */
  rateMarginMs?: number;
  /** Timeout of the instrument dump download (default the larger of 60 s and KITE_TIMEOUT_MS). */
  instrumentsTimeoutMs?: number;
  /** Jitter source. */
  random?: () => number;
  /** Replaces the kiteconnect client (tests of the trader's own logic). */
  api?: KiteApi;
}

/** The trader's working parts, built once the credentials are known. */
export interface ZerodhaComponents {
  gateway: KiteGateway;
  store: InstrumentStore;
  refresher: InstrumentRefresher;
  placer: OrderPlacer;
  reader: OrderStatusReader;
  canceller: OrderCanceller;
}

export interface ComponentInputs {
  settings: ZerodhaSettings;
  apiKey: string;
  accessToken: string;
  tokens: AccessTokenSource;
  redactor: SecretRedactor;
  clock: Clock;
  logger: Logger;
  sql: SqlPort | undefined;
  tuning: ZerodhaTuning;
}

/** Wires the parts together: the trader's composition root. */
export function buildComponents(inputs: ComponentInputs): ZerodhaComponents {
  const { settings, tuning, logger, clock } = inputs;
  const margin = tuning.rateMarginMs ?? 0;
  const api =
    tuning.api ??
    createKiteApi({
      apiKey: inputs.apiKey,
      accessToken: inputs.accessToken,
      root: settings.apiRoot,
      timeoutMs: settings.timeoutMs,
      instrumentsTimeoutMs: tuning.instrumentsTimeoutMs ?? Math.max(60_000, settings.timeoutMs),
    });
  const gateway = new KiteGateway({
    api,
    tokens: inputs.tokens,
    orderLimiter: new RateLimiter({
      windows: [
        { limit: settings.limits.ordersPerSecond, windowMs: 1_000 },
        { limit: settings.limits.ordersPerMinute, windowMs: 60_000 },
      ],
      marginMs: margin,
    }),
    dailyCap: new DailyOrderCap(settings.limits.ordersPerDay),
    requestLimiter: new RateLimiter({
      windows: [{ limit: settings.limits.requestsPerSecond, windowMs: 1_000 }],
      marginMs: margin,
    }),
    redactor: inputs.redactor,
    clock,
    logger,
    ...(tuning.reverifyMs === undefined ? {} : { reverifyMs: tuning.reverifyMs }),
    ...(tuning.tokenWatchMs === undefined ? {} : { watchMs: tuning.tokenWatchMs }),
    ...(tuning.random === undefined ? {} : { random: tuning.random }),
  });
  const store = new InstrumentStore();
  const fetchDump = async (): Promise<Instrument[]> => {
    const dump = await gateway.instruments();
    if (!dump.ok) throw new KiteCallError("getInstruments", dump.failure);
    const parsed = instrumentsFromDump(dump.value, settings.defaultExchange);
    if (parsed === null) throw new Error("the instrument dump was neither rows nor CSV");
    if (parsed.skipped > 0)
      logger.warn({ skipped: parsed.skipped }, "skipped malformed instrument rows");
    return parsed.instruments;
  };
  const refresher = new InstrumentRefresher({
    store,
    repository: inputs.sql ? new InstrumentRepository(inputs.sql) : null,
    fetchDump,
    clock,
    logger,
  });
  return {
    gateway,
    store,
    refresher,
    placer: new OrderPlacer({ gateway, maxQueueMs: settings.maxQueueMs }),
    reader: new OrderStatusReader({ gateway, logger }),
    canceller: new OrderCanceller({ gateway, logger, maxQueueMs: settings.maxQueueMs }),
  };
}
