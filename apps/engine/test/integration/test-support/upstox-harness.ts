import type { Env } from "@engine/core";
import type { UpstoxEmulator } from "@engine/upstox-emulator";
import type { Bench } from "./bench.js";
import type { TestSql } from "./database.js";
import type { Recorded } from "./kafka.js";

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
