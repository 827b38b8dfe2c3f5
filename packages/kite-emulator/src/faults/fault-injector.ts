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

function noFaults(orderBookLagMs: number): ActiveFaults {
  return {
    latencyMs: 0,
    orderBookLagMs,
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
  readonly #baseOrderBookLagMs: number;
  #active: ActiveFaults;

  /**
   * @param random uniform [0, 1) source for probabilistic faults.
   * @param baseOrderBookLagMs the constructed order-book lag, which clearing faults returns to.
   */
  constructor(random: () => number, baseOrderBookLagMs = 0) {
    this.#random = random;
    this.#baseOrderBookLagMs = baseOrderBookLagMs;
    this.#active = noFaults(baseOrderBookLagMs);
  }

  /** Merges settings: a given key replaces that fault, `null` clears it. */
  set(input: FaultSettings): void {
    // Private copies, so that counting `next` down never touches the caller's object.
    const settings = structuredClone(input);
    const next = { ...this.#active };
    if (settings.latencyMs !== undefined) next.latencyMs = settings.latencyMs ?? 0;
    if (settings.orderBookLagMs !== undefined) {
      next.orderBookLagMs = settings.orderBookLagMs ?? this.#baseOrderBookLagMs;
    }
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

  /** No faults, and the constructed order-book lag. */
  clear(): void {
    this.#active = noFaults(this.#baseOrderBookLagMs);
  }

  /** A copy of the faults in force (with what is left of each `next`). */
  snapshot(): ActiveFaults {
    return structuredClone(this.#active);
  }

  get latencyMs(): number {
    return this.#active.latencyMs;
  }

  /** How long a new order stays out of the order book and trade book, in ms. */
  get orderBookLagMs(): number {
    return this.#active.orderBookLagMs;
  }

  tooManyRequests(isPlacement: boolean): TooManyRequestsFault | undefined {
    const fault = this.#active.tooManyRequests;
    if (fault === null || (fault.placementsOnly === true && !isPlacement)) return undefined;
    return this.#fires(fault) ? fault : undefined;
  }

  /**
   * The outage fault if it fires at this point of a placement: before validation (`afterCreate`
   * false) or once the order was created (`afterCreate` true). A fault is only eligible, and only
   * counts down `next`, at its own point.
   */
  orderSystemDown(afterCreate: boolean): OrderSystemDownFault | undefined {
    const fault = this.#active.orderSystemDown;
    if (fault === null || (fault.afterCreate ?? false) !== afterCreate) return undefined;
    return this.#fires(fault) ? fault : undefined;
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
