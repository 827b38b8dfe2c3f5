import type { Logger } from "@engine/core";
import { pino } from "pino";

/**
 * Paths pino blanks out wherever they appear, so a credential that slips into a log context
 * never reaches the output.
 */
const REDACTED_PATHS = [
  "password",
  "*.password",
  "access_token",
  "*.access_token",
  "accessToken",
  "*.accessToken",
  "api_secret",
  "*.api_secret",
  "apiSecret",
  "*.apiSecret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "databaseUrl",
  "*.databaseUrl",
  "DATABASE_URL",
  "KAFKA_SASL_PASSWORD",
  "KITE_ACCESS_TOKEN",
  "KITE_API_SECRET",
  "ENGINE_ADMIN_TOKEN",
  "adminToken",
  "*.adminToken",
  "sasl",
  "*.sasl",
];

export interface LoggerOptions {
  level: string;
  /** Human-readable output; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Write to stderr instead of stdout (a CLI command whose stdout is its answer). */
  stderr?: boolean;
}

/** The app's logger: JSON lines for machines, pretty in a terminal, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger & pino.Logger {
  const common = {
    level: options.level,
    base: { service: "trading_engine" },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.stderr) return pino(common, pino.destination(2));
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    ...common,
    ...(pretty
      ? {
          transport: {
            target: "pino-pretty",
            options: {
              colorize: true,
              translateTime: "SYS:HH:MM:ss.l",
              ignore: "pid,hostname,service",
            },
          },
        }
      : {}),
  });
}
