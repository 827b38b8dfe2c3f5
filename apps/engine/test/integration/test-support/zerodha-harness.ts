import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env, Logger } from "@engine/core";
import { DEFAULT_INSTRUMENTS, KiteEmulator, type KiteEmulatorOptions } from "@engine/kite-emulator";
import { paperPlugin } from "@engine/trader-paper";
import { zerodhaPlugin } from "@engine/trader-zerodha";
import type { Admin, Producer } from "kafkajs";
import { type Bench, openBench } from "./bench.js";
import type { TestSql } from "./database.js";
import {
  childEnv,
  type EngineProcess,
  freePort,
  type ProcessEnv,
  type SpawnedEngineSite,
  type SpawnedEngines,
  spawnedEngineVariables,
} from "./engine-process.js";
import { baseEnv, startEngine, type TestEngine } from "./in-process-engine.js";
import { asMessage, marketTick } from "./messages.js";
import { sleep } from "./probes.js";
import { prepareSignalTopic, type SignalEvent, sendSignals } from "./signal-stream.js";
import type { Teardown } from "./teardown.js";
import { ZerodhaLedger } from "./zerodha-outcomes.js";

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

/**
 * A Kite emulator on a free loopback port, with the tests' api_key and `accessToken`, stopped at
 * the teardown.
 */
export async function startKiteEmulator(
  teardown: Teardown,
  options: KiteEmulatorOptions & { accessToken: string },
): Promise<KiteEmulator> {
  const emulator = new KiteEmulator({
    apiKey: KITE_TEST_API_KEY,
    requestLogLimit: 50_000,
    ...options,
  });
  await emulator.start();
  teardown.defer(() => emulator.stop());
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
    // The emulator's order book shows an order at once unless a test lags it.
    ZERODHA_ORDER_VISIBILITY_MS: "2000",
    ZERODHA_STATUS_POLL_MS: "200",
    ...extra,
  };
}

/** A file holding an access token, as a deployment's token rotation writes it. */
export interface TokenFile {
  path: string;
  write(token: string): Promise<void>;
  remove(): void;
}

/** A token file holding `token`, removed at the teardown. */
export async function accessTokenFile(teardown: Teardown, token: string): Promise<TokenFile> {
  const path = join(tmpdir(), `kite-token-${randomBytes(6).toString("hex")}`);
  const write = (value: string) => writeFile(path, `${value}\n`, { mode: 0o600 });
  const remove = () => rmSync(path, { force: true });
  teardown.defer(remove);
  await write(token);
  return { path, write, remove };
}

/**
 * The test's side of a zerodha scenario: a bench recording the zerodha and paper results, the
 * ledger reading them, a connection of its own to the database (see `connectSql`) and an admin.
 */
export interface ZerodhaBench extends Bench {
  ledger: ZerodhaLedger;
}

export async function openZerodhaBench(teardown: Teardown): Promise<ZerodhaBench> {
  const bench = await openBench(teardown, [...ZERODHA_RESULT_TOPICS, ...PAPER_RESULT_TOPICS]);
  return { ...bench, ledger: new ZerodhaLedger(bench.recorder) };
}

/** Sends one signal and waits until it ended on zerodha and has a paper result. */
export async function sendAndAwaitEnd(
  bench: ZerodhaBench,
  topic: string,
  signal: SignalEvent,
): Promise<void> {
  await sendSignals(bench.producer, topic, [signal]);
  await bench.ledger.waitForEnds([signal.id], 30_000);
}

/** What a failed zerodha test prints: the emulator's counters and how the signals fall short. */
export function zerodhaDiagnostics(
  emulator: KiteEmulator | undefined,
  ledger: ZerodhaLedger | undefined,
  ids: readonly string[],
): string {
  return `emulator stats: ${JSON.stringify(emulator?.stats())}\nproblems:\n  ${ledger
    ?.problems(ids, emulator)
    .slice(0, 30)
    .join("\n  ")}`;
}

/**
 * Starts an engine in this process on `namespace` with the shipped paper and zerodha plugins,
 * zerodha pointed at `emulator` (`variables` override or add to `zerodhaVariables`), stopped at
 * the teardown. Its signal topic is prepared first (see `prepareSignals`).
 */
export async function startZerodhaEngine(
  teardown: Teardown,
  bench: ZerodhaBench,
  options: {
    namespace: string;
    emulator: KiteEmulator;
    variables?: Env;
    logger?: Logger;
    http?: boolean;
    /** Another instance of the group runs already: its offsets cannot be (and are) set. */
    joinsRunningGroup?: boolean;
  },
): Promise<TestEngine> {
  const env = baseEnv(
    bench.db.url,
    options.namespace,
    zerodhaVariables(options.emulator.url, options.variables),
  );
  if (!options.joinsRunningGroup) {
    await prepareSignals(
      bench.admin,
      `${options.namespace}.signals.validated`,
      env.KAFKA_GROUP_ID_PREFIX ?? "",
    );
  }
  return startEngine(teardown, env, {
    plugins: [paperPlugin, zerodhaPlugin],
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.http === undefined ? {} : { http: options.http }),
  });
}

/** A zerodha scenario running in this process. */
export interface ZerodhaScenario {
  emulator: KiteEmulator;
  bench: ZerodhaBench;
  engine: TestEngine;
}

/**
 * Starts a zerodha scenario in this process: an emulator (`kite`), a bench, and an engine on
 * `namespace` (`variables` as for `startZerodhaEngine`) trading `strategyIds` on zerodha, primed
 * with a price for each of `tokens` so paper fills beside it. All of it is undone at the teardown.
 */
export async function startZerodhaScenario(
  teardown: Teardown,
  options: {
    namespace: string;
    kite: KiteEmulatorOptions & { accessToken: string };
    variables: Env;
    strategyIds: readonly string[];
    tokens: readonly number[];
  },
): Promise<ZerodhaScenario> {
  const emulator = await startKiteEmulator(teardown, options.kite);
  const bench = await openZerodhaBench(teardown);
  const engine = await startZerodhaEngine(teardown, bench, {
    namespace: options.namespace,
    emulator,
    variables: options.variables,
  });
  for (const id of options.strategyIds) await putZerodhaStrategy(bench.sql, id);
  await primePrices(engine, bench.producer, options.tokens);
  return { emulator, bench, engine };
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
export function zerodhaProcessEnv(
  options: SpawnedEngineSite & { emulatorUrl: string; extra?: Env },
): ProcessEnv {
  const vars = spawnedEngineVariables("engine-it-zerodha", options);
  for (const [name, value] of Object.entries(
    zerodhaVariables(options.emulatorUrl, options.extra),
  )) {
    if (value !== undefined) vars[name] = value;
  }
  return childEnv(vars);
}

/**
 * Spawns an engine process on the bench's database and `namespace`, in the signals group of
 * `groupIdPrefix`, with zerodha pointed at `emulator` (`extra` adds or overrides variables).
 */
export async function spawnZerodhaEngine(
  engines: SpawnedEngines,
  name: string,
  site: {
    bench: ZerodhaBench;
    emulator: KiteEmulator;
    namespace: string;
    groupIdPrefix: string;
    extra?: Env;
  },
): Promise<EngineProcess> {
  return engines.spawn(
    name,
    zerodhaProcessEnv({
      databaseUrl: site.bench.db.url,
      namespace: site.namespace,
      groupIdPrefix: site.groupIdPrefix,
      httpPort: await freePort(),
      emulatorUrl: site.emulator.url,
      ...(site.extra ? { extra: site.extra } : {}),
    }),
  );
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
