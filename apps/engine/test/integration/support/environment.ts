/** Where the integration tests find the real services (`pnpm services:up` starts them). */
export const KAFKA_BROKERS = process.env.TEST_KAFKA_BROKERS ?? "127.0.0.1:9092";
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
