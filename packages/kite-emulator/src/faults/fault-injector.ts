import type {
  ActiveFaults,
  FaultSettings,
  OrderSystemDownFault,
  TimeoutAfterAcceptFault,
  TooManyRequestsFault,
} from "./fault-settings.js";

/** Names of the counted faults, as they appear in `stats().faultsInjected`. */
export type FaultKind =
  | "tooManyRequests"
  | "orderSystemDown"
  | "timeoutAfterAccept"
  | "unexpectedContentType";

interface Trigger {
  next?: number | undefined;
  probability?: number | undefined;
}

function noFaults(): ActiveFaults {
  return {
    latencyMs: 0,
    tooManyRequests: null,
    orderSystemDown: null,
    timeoutAfterAccept: null,
    unexpectedContentType: null,
  };
}

/**
 * Decides, request by request, whether a configured fault fires. A fault with `next` fires for
 * that many eligible requests and is then spent; `probability` applies after that, drawn from the
 * injected random source so tests can make it deterministic. A fault with neither fires on every
 * eligible request until it is cleared.
 */
export class FaultInjector {
  readonly #random: () => number;
  #active: ActiveFaults = noFaults();

  constructor(random: () => number) {
    this.#random = random;
  }

  /** Merges settings: a given key replaces that fault, `null` clears it. */
  set(input: FaultSettings): void {
    // Private copies, so that counting `next` down never touches the caller's object.
    const settings = structuredClone(input);
    const next = { ...this.#active };
    if (settings.latencyMs !== undefined) next.latencyMs = settings.latencyMs ?? 0;
    if (settings.tooManyRequests !== undefined) next.tooManyRequests = settings.tooManyRequests;
    if (settings.orderSystemDown !== undefined) next.orderSystemDown = settings.orderSystemDown;
    if (settings.timeoutAfterAccept !== undefined) {
      next.timeoutAfterAccept = settings.timeoutAfterAccept;
    }
    if (settings.unexpectedContentType !== undefined) {
      next.unexpectedContentType = settings.unexpectedContentType;
    }
    this.#active = next;
  }

  clear(): void {
    this.#active = noFaults();
  }

  /** A copy of the faults in force (with what is left of each `next`). */
  snapshot(): ActiveFaults {
    return structuredClone(this.#active);
  }

  get latencyMs(): number {
    return this.#active.latencyMs;
  }

  tooManyRequests(isPlacement: boolean): TooManyRequestsFault | undefined {
    const fault = this.#active.tooManyRequests;
    if (fault === null || (fault.placementsOnly === true && !isPlacement)) return undefined;
    return this.#fires(fault) ? fault : undefined;
  }

  orderSystemDown(): OrderSystemDownFault | undefined {
    const fault = this.#active.orderSystemDown;
    return fault !== null && this.#fires(fault) ? fault : undefined;
  }

  timeoutAfterAccept(): TimeoutAfterAcceptFault | undefined {
    const fault = this.#active.timeoutAfterAccept;
    return fault !== null && this.#fires(fault) ? fault : undefined;
  }

  unexpectedContentType(isPlacement: boolean): boolean {
    const fault = this.#active.unexpectedContentType;
    if (fault === null || (fault.placementsOnly === true && !isPlacement)) return false;
    return this.#fires(fault);
  }

  #fires(trigger: Trigger): boolean {
    if (trigger.next === undefined && trigger.probability === undefined) return true;
    if (trigger.next !== undefined && trigger.next > 0) {
      trigger.next -= 1;
      return true;
    }
    return trigger.probability !== undefined && this.#random() < trigger.probability;
  }
}
