/** Where the integration tests find the real services (`pnpm services:up` starts them). */
export const KAFKA_BROKERS = process.env.TEST_KAFKA_BROKERS ?? "127.0.0.1:9092";
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * The live namespaces' default pre-trade limits, off: the tests of other behaviours trade at the
 * test's prices and rates (bursts of hundreds of signals a minute, signal prices unrelated to the
 * ticks), which a live desk's defaults would refuse. The trading-controls tests set limits of
 * their own.
 */
export const LIVE_DEFAULT_LIMITS_OFF = {
  RISK_PRICE_COLLAR_PCT: "0",
  RISK_MAX_ORDERS_PER_MINUTE: "0",
} as const;
