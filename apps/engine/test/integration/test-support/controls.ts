import type { ControlRequest } from "@engine/core";
import type { TestEngine } from "./in-process-engine.js";
import { uniqueName } from "./kafka.js";
import { sleep } from "./probes.js";

/**
 * Variables giving a file's engines a control topic of their own (a trading state left on the
 * shared `engine.control` would hold for every later run, which reads it from its beginning), and
 * the admin API's token when `adminToken` is given.
 */
export function controlEnv(
  label: string,
  adminToken?: string,
): { ENGINE_CONTROL_TOPIC: string; ENGINE_ADMIN_TOKEN?: string } {
  return {
    ENGINE_CONTROL_TOPIC: uniqueName(`${label}.control.`),
    ...(adminToken === undefined ? {} : { ENGINE_ADMIN_TOKEN: adminToken }),
  };
}

/** A change of trading state as `POST /control` takes it (the body a client sends). */
export type ControlChange = Pick<ControlRequest, "scope" | "state" | "reason"> &
  Partial<Pick<ControlRequest, "strategy_id" | "namespace" | "cancel_open">>;

/**
 * POSTs a change of trading state to the admin API of the engine on `httpPort`, with `token` as
 * its bearer token (none when null).
 */
export function postControl(
  httpPort: number | null,
  change: ControlChange,
  token: string | null,
): Promise<Response> {
  return fetch(`http://127.0.0.1:${httpPort}/control`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(change),
  });
}

/** The trading state an in-process engine resolves for a strategy on a namespace. */
export function stateOn(engine: TestEngine, strategyId: string, namespace = "zerodha"): string {
  return engine.running.controls.resolve({ namespace, strategyId }).state;
}

/**
 * Waits until every one of `engines` resolves `state` for the strategy on `namespace`; resolves
 * with how long it took from `since` (epoch ms), and fails after `timeoutMs`.
 */
export async function waitForControlState(
  engines: readonly TestEngine[],
  state: string,
  strategyId: string,
  options: { timeoutMs: number; since?: number; namespace?: string },
): Promise<number> {
  const since = options.since ?? Date.now();
  const deadline = Date.now() + options.timeoutMs;
  while (engines.some((engine) => stateOn(engine, strategyId, options.namespace) !== state)) {
    if (Date.now() > deadline) {
      throw new Error(
        `${engines.length === 1 ? "the engine" : `all ${engines.length} engines`} did not see ${state} for ${strategyId} within ${options.timeoutMs} ms`,
      );
    }
    await sleep(10);
  }
  return Date.now() - since;
}
