import {
  controlKey,
  TRADING_STATES,
  type TradingControl,
  type TradingState,
} from "./trading-control.js";

/** What an execution is judged by: the namespace it runs on and the strategy it is for. */
export interface ControlTarget {
  namespace: string;
  strategyId: string;
}

/** The state that applies to a target, and the change that set it (null: nothing applies). */
export interface ResolvedState {
  state: TradingState;
  control: TradingControl | null;
}

const RANK: Record<TradingState, number> = Object.fromEntries(
  TRADING_STATES.map((state, index) => [state, index]),
) as Record<TradingState, number>;

/** Whether a change applies to a target at `now` (epoch ms): its scope covers it and it has not expired. */
export function controlApplies(
  control: TradingControl,
  target: ControlTarget,
  now: number,
): boolean {
  if (control.expires_at !== null && Date.parse(control.expires_at) <= now) return false;
  if (control.namespace !== null && control.namespace !== target.namespace) return false;
  if (control.scope === "strategy" && control.strategy_id !== target.strategyId) return false;
  return true;
}

/**
 * The trading state of every scope, as the latest change of each (the compacted control topic's
 * view). Pure: no I/O; the engine feeds it the topic's changes.
 */
export class TradingControls {
  readonly #byKey = new Map<string, TradingControl>();

  /** Applies a change; it replaces the scope's previous one. */
  apply(control: TradingControl): void {
    this.#byKey.set(controlKey(control), control);
  }

  /** The latest change of every scope ever set, expired ones included (`expired` tells them). */
  list(now: number): (TradingControl & { key: string; expired: boolean })[] {
    return [...this.#byKey.entries()].map(([key, control]) => ({
      ...control,
      key,
      expired: control.expires_at !== null && Date.parse(control.expires_at) <= now,
    }));
  }

  /**
   * The state for a target at `now`: the most restrictive of the scopes that apply to it (global,
   * its namespace, its strategy, its strategy on its namespace); between equals, the most specific
   * names the refusal. A resume on a narrow scope does not lift a halt on a wider one.
   */
  resolve(target: ControlTarget, now: number): ResolvedState {
    let best: TradingControl | null = null;
    for (const control of this.#byKey.values()) {
      if (!controlApplies(control, target, now) || control.state === "ACTIVE") continue;
      if (
        best === null ||
        RANK[control.state] > RANK[best.state] ||
        (RANK[control.state] === RANK[best.state] && specificity(control) > specificity(best))
      ) {
        best = control;
      }
    }
    return best === null
      ? { state: "ACTIVE", control: null }
      : { state: best.state, control: best };
  }
}

function specificity(control: TradingControl): number {
  return (control.namespace === null ? 0 : 1) + (control.scope === "strategy" ? 2 : 0);
}
