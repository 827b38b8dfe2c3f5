import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import type { Env, Logger } from "@engine/core";
import { DEFAULT_INSTRUMENTS, KiteEmulator, type KiteEmulatorOptions } from "@engine/kite-emulator";
import { paperPlugin } from "@engine/trader-paper";
import { zerodhaPlugin } from "@engine/trader-zerodha";
import type { Admin, Producer } from "kafkajs";
import pg from "pg";
import { Engine } from "../../../src/app/engine.js";
import { createLogger } from "../../../src/observability/logger.js";
import { childEnv, type ProcessEnv } from "./engine-process.js";
import { KAFKA_BROKERS } from "./environment.js";
import type { TestEngine } from "./in-process-engine.js";
import { asMessage, marketTick } from "./messages.js";
import { sleep } from "./probes.js";
import { prepareSignalTopic } from "./signal-stream.js";

/** The api_key the emulators of these tests accept. */
export const KITE_TEST_API_KEY = "zdit_api_key";

/** The result topics of the two namespaces a zerodha-enabled strategy trades on. */
export const ZERODHA_RESULT_TOPICS = [
  "zerodha.orders.submitted",
  "zerodha.orders.filled",
  "zerodha.orders.failed",
] as const;
export const PAPER_RESULT_TOPICS = [
  "paper.orders.submitted",
  "paper.orders.filled",
  "paper.orders.failed",
] as const;

/** The emulator's NSE equities (lot size 1): tokens a zerodha order can be placed for. */
export const NSE_EQUITIES = DEFAULT_INSTRUMENTS.filter((row) => row.exchange === "NSE").map(
  (row) => ({
    token: row.instrument_token,
    tradingsymbol: row.tradingsymbol,
    lastPrice: row.last_price,
  }),
);

/** A Kite emulator on a free loopback port, with the tests' api_key and `accessToken`. */
export async function startKiteEmulator(
  options: KiteEmulatorOptions & { accessToken: string },
): Promise<KiteEmulator> {
  const emulator = new KiteEmulator({
    apiKey: KITE_TEST_API_KEY,
    requestLogLimit: 50_000,
    ...options,
  });
  await emulator.start();
  return emulator;
}

/**
 * The zerodha namespace's variables for an engine pointed at `emulatorUrl`, with timings small
 * enough for tests. `extra` overrides any of them (and adds the token or its file).
 */
export function zerodhaVariables(emulatorUrl: string, extra: Env = {}): Env {
  return {
    ZERODHA_ENABLED: "true",
    KITE_API_KEY: KITE_TEST_API_KEY,
    KITE_API_ROOT: emulatorUrl,
    KITE_TIMEOUT_MS: "3000",
    ZERODHA_RECONCILE_DELAY_MS: "100",
    ZERODHA_POLL_INTERVAL_MS: "50",
    ...extra,
  };
}

/** A file holding an access token, as a deployment's token rotation writes it. */
export interface TokenFile {
  path: string;
  write(token: string): Promise<void>;
  remove(): void;
}

export async function accessTokenFile(token: string): Promise<TokenFile> {
  const path = join(tmpdir(), `kite-token-${randomBytes(6).toString("hex")}`);
  const write = (value: string) => writeFile(path, `${value}\n`, { mode: 0o600 });
  await write(token);
  return { path, write, remove: () => rmSync(path, { force: true }) };
}

/** One log call as a `CapturingLogger` saw it, before any redaction a real logger would do. */
export interface CapturedLine {
  level: "debug" | "info" | "warn" | "error";
  text: string;
}

/**
 * A Logger that keeps every call at every level, with the bindings of its children. Contexts are
 * rendered with `util.inspect`, which shows what `JSON.stringify` would hide (an Error's message
 * and stack, non-plain objects, a client's request config), so a secret anywhere in a context is
 * found, even one pino's redaction would have masked.
 */
export class CapturingLogger implements Logger {
  readonly lines: CapturedLine[];
  readonly #bindings: Record<string, unknown>;

  constructor(lines: CapturedLine[] = [], bindings: Record<string, unknown> = {}) {
    this.lines = lines;
    this.#bindings = bindings;
  }

  debug(context: object, message?: string): void {
    this.#add("debug", context, message);
  }
  info(context: object, message?: string): void {
    this.#add("info", context, message);
  }
  warn(context: object, message?: string): void {
    this.#add("warn", context, message);
  }
  error(context: object, message?: string): void {
    this.#add("error", context, message);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new CapturingLogger(this.lines, { ...this.#bindings, ...bindings });
  }

  /** Every line, one a line. */
  text(): string {
    return this.lines.map((line) => line.text).join("\n");
  }

  #add(level: CapturedLine["level"], context: object, message: string | undefined): void {
    const rendered = inspect(
      { ...this.#bindings, ...context },
      { depth: 10, breakLength: Number.POSITIVE_INFINITY, showHidden: false },
    );
    this.lines.push({ level, text: `${level} ${message ?? ""} ${rendered}` });
  }
}

/** Starts an engine in this process with the shipped paper and zerodha plugins. */
export async function startZerodhaEngine(
  env: Env,
  options: { logger?: Logger } = {},
): Promise<TestEngine> {
  const engine = new Engine({
    env,
    logger: options.logger ?? createLogger({ level: env.LOG_LEVEL ?? "warn", pretty: false }),
    plugins: [paperPlugin, zerodhaPlugin],
  });
  const running = await engine.start();
  return {
    engine,
    running,
    stop: () => engine.stop(),
    ticksApplied: async () => (await running.metrics.ticks.get()).values[0]?.value ?? 0,
  };
}

/**
 * Creates the signal topic and commits the engine's group at its start, so no signal sent after
 * this is skipped however late the engine's consumer makes its first fetch.
 */
export async function prepareSignals(
  admin: Admin,
  signalTopic: string,
  groupIdPrefix: string,
): Promise<void> {
  await prepareSignalTopic(admin, signalTopic, 3, `${groupIdPrefix}.trading_engine`);
}

/**
 * Gives the in-process engine a last price for each token, so paper can fill: waits for one tick
 * to be applied (the tick consumer starts at the latest offset, resolved at its first fetch of
 * every partition at once), then sends a tick per token and waits until all are applied.
 */
export async function primePrices(
  engine: TestEngine,
  producer: Producer,
  tokens: readonly number[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const first = tokens[0];
  if (first === undefined) return;
  const before = await engine.ticksApplied();
  let sentAt = 0;
  while ((await engine.ticksApplied()) === before) {
    if (Date.now() > deadline) throw new Error(`no tick applied within ${timeoutMs} ms`);
    if (Date.now() - sentAt > 1_000) {
      await producer.send({ topic: "market.ticks", messages: [asMessage(marketTick(first, 1))] });
      sentAt = Date.now();
    }
    await sleep(50);
  }
  const live = await engine.ticksApplied();
  await producer.send({
    topic: "market.ticks",
    messages: tokens.map((token) => asMessage(marketTick(token, priceOf(token)))),
  });
  while ((await engine.ticksApplied()) < live + tokens.length) {
    if (Date.now() > deadline) throw new Error(`ticks not applied within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The emulator's price of a default instrument (any number for others). */
export function priceOf(token: number): number {
  return NSE_EQUITIES.find((row) => row.token === token)?.lastPrice ?? 1000;
}

/**
 * The environment of a spawned engine on the real Kafka and PostgreSQL, with the shipped paper
 * and zerodha plugins (no test plugins), zerodha pointed at `emulatorUrl`.
 */
export function zerodhaProcessEnv(options: {
  databaseUrl: string;
  namespace: string;
  groupIdPrefix: string;
  httpPort: number;
  emulatorUrl: string;
  extra?: Env;
}): ProcessEnv {
  const vars: ProcessEnv = {
    KAFKA_BROKERS,
    KAFKA_CLIENT_ID: "engine-it-zerodha",
    KAFKA_GROUP_ID_PREFIX: options.groupIdPrefix,
    DATABASE_URL: options.databaseUrl,
    BROKER_NAMESPACE: options.namespace,
    MARKET_HOURS_MODE: "always_open",
    STRATEGY_CONFIG_TTL_MS: "500",
    HTTP_PORT: String(options.httpPort),
    LOG_LEVEL: "info",
  };
  for (const [name, value] of Object.entries(
    zerodhaVariables(options.emulatorUrl, options.extra),
  )) {
    if (value !== undefined) vars[name] = value;
  }
  return childEnv(vars);
}

/** One connection to a test database, closed (and awaited) before the database is dropped. */
export interface TestSql {
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Connects one client to `url`. `TestDatabase.query` goes through a pool whose `end()` resolves
 * before its sockets are closed, so the `drop database ... with (force)` that follows can kill a
 * connection still closing, and the pool, having no error listener, throws it as an uncaught
 * exception. A single client whose `end()` is awaited leaves nothing behind.
 */
export async function connectSql(url: string): Promise<TestSql> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  return {
    query: async (text, values) => (await client.query(text, values)).rows,
    close: () => client.end(),
  };
}

/** Inserts or replaces a strategy row with zerodha trading enabled, as the platform writes it. */
export async function putZerodhaStrategy(
  sql: TestSql,
  id: string,
  zerodhaTradingEnabled = true,
): Promise<void> {
  await sql.query(
    `insert into strategy_configurations (id, strategy_type, instruments, parameters, is_active, zerodha_trading_enabled, updated_at)
     values ($1, 'test', '[]', '{}', true, $2, now())
     on conflict (id) do update set is_active = true, zerodha_trading_enabled = $2, updated_at = now()`,
    [id, zerodhaTradingEnabled],
  );
}
