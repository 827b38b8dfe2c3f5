import type { Env, Logger } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { paperPlugin } from "@engine/trader-paper";
import { upstoxPlugin } from "@engine/trader-upstox";
import { zerodhaPlugin } from "@engine/trader-zerodha";
import { UpstoxEmulator, type UpstoxEmulatorOptions } from "@engine/upstox-emulator";
import type { Admin } from "kafkajs";
import { type Bench, openBench } from "./bench.js";
import { baseEnv, startEngine, type TestEngine } from "./in-process-engine.js";
import type { Recorded } from "./kafka.js";
import { resultTopics } from "./probes.js";
import { openAdmin } from "./signal-stream.js";
import type { Teardown } from "./teardown.js";
import {
  connectSql,
  prepareSignals,
  primePrices,
  startKiteEmulator,
  type TestSql,
  zerodhaVariables,
} from "./zerodha-harness.js";

/** Upstox's key of the emulators' RELIANCE (Kite token 738561). */
export const RELIANCE_KEY = "NSE_EQ|INE002A01018";
export const KITE_TOKEN = "upstox_it_kite_token";

/** The upstox namespace's variables for an engine pointed at `emulator`, timings small for tests. */
export function upstoxVariables(emulator: UpstoxEmulator, extra: Env = {}): Env {
  return {
    UPSTOX_ENABLED: "true",
    UPSTOX_API_ROOT: emulator.url,
    UPSTOX_ORDER_API_ROOT: emulator.url,
    UPSTOX_INSTRUMENTS_URL: emulator.instrumentMasterUrl,
    UPSTOX_TIMEOUT_MS: "3000",
    UPSTOX_ORDER_VISIBILITY_MS: "500",
    UPSTOX_STATUS_POLL_MS: "200",
    UPSTOX_TOKEN_POLL_MS: "200",
    ...extra,
  };
}

/** Where a strategy trades: the legacy zerodha flag and the engine's execution targets. */
export interface StrategyRouting {
  id: string;
  zerodha?: boolean;
  targets?: readonly string[];
}

/**
 * Writes a strategy as the platform does (`strategy_configurations`) and its live namespaces as
 * an operator does (`strategy_execution_targets`).
 */
export async function putStrategy(sql: TestSql, routing: StrategyRouting): Promise<void> {
  await sql.query(
    `insert into strategy_configurations (id, strategy_type, instruments, parameters, is_active, zerodha_trading_enabled, updated_at)
     values ($1, 'test', '[]', '{}', true, $2, now())
     on conflict (id) do update set is_active = true, zerodha_trading_enabled = $2, updated_at = now()`,
    [routing.id, routing.zerodha === true],
  );
  for (const namespace of routing.targets ?? []) {
    await sql.query(
      `insert into strategy_execution_targets (strategy_id, namespace, enabled, updated_at)
       values ($1, $2, true, now())
       on conflict (strategy_id, namespace) do update set enabled = true, updated_at = now()`,
      [routing.id, namespace],
    );
  }
}

/** An Upstox scenario: both emulators, a bench recording every namespace, an engine. */
export interface UpstoxScenario {
  upstox: UpstoxEmulator;
  kite: KiteEmulator;
  bench: Bench & { sql: TestSql; admin: Admin };
  engine: TestEngine;
}

/**
 * Starts an engine on `namespace` with the shipped paper, zerodha and upstox plugins against the
 * two emulators. Zerodha is enabled globally because the engine's instrument registry reads the
 * instrument dump the Zerodha package keeps; strategies trade on it only when routed there.
 */
export async function startUpstoxScenario(
  teardown: Teardown,
  options: {
    namespace: string;
    upstox?: UpstoxEmulatorOptions;
    variables?: Env;
    strategies: readonly StrategyRouting[];
    tokens: readonly number[];
    logger?: Logger;
  },
): Promise<UpstoxScenario> {
  const { kite, upstox } = await startEmulators(teardown, options.upstox);
  const bench = await openUpstoxBench(teardown);
  const env = baseEnv(
    bench.db.url,
    options.namespace,
    liveVariables(kite, upstox, options.variables),
  );
  await prepareSignals(
    bench.admin,
    `${options.namespace}.signals.validated`,
    env.KAFKA_GROUP_ID_PREFIX ?? "",
  );
  const engine = await startEngine(teardown, env, {
    plugins: [paperPlugin, zerodhaPlugin, upstoxPlugin],
    ...(options.logger ? { logger: options.logger } : {}),
  });
  for (const strategy of options.strategies) await putStrategy(bench.sql, strategy);
  await primePrices(engine, bench.producer, options.tokens);
  return { upstox, kite, bench, engine };
}

/** Both emulators, stopped at the teardown. */
export async function startEmulators(
  teardown: Teardown,
  options: UpstoxEmulatorOptions = {},
): Promise<{ kite: KiteEmulator; upstox: UpstoxEmulator }> {
  const kite = await startKiteEmulator(teardown, { accessToken: KITE_TOKEN });
  const upstox = new UpstoxEmulator(options);
  await upstox.start();
  teardown.defer(() => upstox.stop());
  return { kite, upstox };
}

/** A bench recording paper, zerodha and upstox results, with its own SQL connection and admin. */
export async function openUpstoxBench(teardown: Teardown): Promise<UpstoxScenario["bench"]> {
  const opened = await openBench(teardown, resultTopics(["paper", "zerodha", "upstox"]));
  const sql = await connectSql(opened.db.url);
  teardown.defer(() => sql.close());
  const admin = await openAdmin(teardown);
  return { ...opened, sql, admin };
}

/** Zerodha's and Upstox's variables against the emulators (`extra` overrides any). */
export function liveVariables(kite: KiteEmulator, upstox: UpstoxEmulator, extra: Env = {}): Env {
  return {
    ...zerodhaVariables(kite.url, { KITE_ACCESS_TOKEN: KITE_TOKEN }),
    ...upstoxVariables(upstox, { UPSTOX_ACCESS_TOKEN: upstox.accessToken ?? "", ...extra }),
  };
}

/** One signal's distinct results on one namespace (copies of one event id count once). */
export interface NamespaceOutcome {
  placed: Recorded[];
  filled: Recorded[];
  failed: Recorded[];
}

export function outcomeOn(bench: Bench, signalId: string, namespace: string): NamespaceOutcome {
  const outcome: NamespaceOutcome = { placed: [], filled: [], failed: [] };
  const seen = new Set<string>();
  for (const kind of ["submitted", "filled", "failed"] as const) {
    for (const message of bench.recorder.causedBy(`${namespace}.orders.${kind}`, signalId)) {
      const id = String(message.json.id);
      if (seen.has(id)) continue;
      seen.add(id);
      outcome[kind === "submitted" ? "placed" : kind].push(message);
    }
  }
  return outcome;
}

/** Waits until each signal has a terminal result (filled or failed) on every namespace given. */
export async function waitForEnds(
  bench: Bench,
  ids: readonly string[],
  namespaces: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const ended = () =>
    ids.filter((id) =>
      namespaces.every((ns) => {
        const outcome = outcomeOn(bench, id, ns);
        return outcome.filled.length + outcome.failed.length > 0;
      }),
    ).length;
  await bench.recorder.waitFor(
    () => ended() === ids.length,
    timeoutMs,
    `the end of ${ids.length} signals on ${namespaces.join(" and ")} (have ${ended()})`,
  );
}

/** A logger keeping every line as JSON, to look for secrets in. */
export function recordingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const record =
    (level: string) =>
    (context: object, message?: string): void => {
      lines.push(JSON.stringify({ level, context, message }));
    };
  const logger = {
    lines,
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
    child: (bindings: Record<string, unknown>) => {
      lines.push(JSON.stringify({ bindings }));
      return logger;
    },
  };
  return logger;
}
