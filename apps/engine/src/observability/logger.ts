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

/**
 * `LOG_FORMAT`: `json` (one JSON object a line), `pretty` (pino-pretty), `lines` (one aligned line
 * per result, other logs pretty), or `auto`: `lines` when stdout is a terminal, else `json`.
 */
export const LOG_FORMATS = ["auto", "json", "pretty", "lines"] as const;

/** What `engine start` writes its output as. */
export type OutputFormat = Exclude<(typeof LOG_FORMATS)[number], "auto">;

/**
 * The output format `LOG_FORMAT` asks for on this stdout. A value that is none of
 * `LOG_FORMATS` gives `json` here, and the settings then stop start-up naming the variable.
 */
export function outputFormat(value: string | undefined, stdoutIsTerminal: boolean): OutputFormat {
  const format = (value ?? "").trim().toLowerCase() || "auto";
  if (format === "auto") return stdoutIsTerminal ? "lines" : "json";
  return format === "pretty" || format === "lines" ? format : "json";
}

export interface LoggerOptions {
  level: string;
  /** Human-readable output; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Pretty output with each record on one line (beside result lines). */
  singleLine?: boolean;
  /** Write to stderr instead of stdout (a CLI command whose stdout is its answer). */
  stderr?: boolean;
}

const LOG_LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/**
 * The level to log start-up at, from `LOG_LEVEL`; a bad value falls back to info, and the settings
 * then stop start-up naming the variable.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const level = env.LOG_LEVEL?.trim().toLowerCase() ?? "";
  return LOG_LEVELS.has(level) ? level : "info";
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
              singleLine: options.singleLine === true,
            },
          },
        }
      : {}),
  });
}
