import { hostname } from "node:os";
import { errorMessage, type Logger } from "@engine/core";
import type { ExecutionJournal } from "../journal/execution-journal.js";

export interface InstanceLeaseOptions {
  journal: Pick<ExecutionJournal, "renewLease" | "retire">;
  /** How long a renewal keeps this instance's claims, ms (`ENGINE_LEASE_MS`). */
  leaseMs: number;
  logger: Logger;
  /** Monotonic now, ms (tests). */
  now?: () => number;
}

/** `AbortSignal`'s own `aborted` getter, for the signals whose `aborted` is redefined below. */
const SIGNAL_ABORTED = (() => {
  const getter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")?.get;
  if (!getter) throw new Error("AbortSignal.prototype.aborted has no getter");
  return getter as (this: AbortSignal) => boolean;
})();

/**
 * This instance's lease on everything it claimed, renewed in the database every quarter lease.
 *
 * The fencing rule it enforces with the journal: another instance takes this one's executions
 * over only after the lease ran out by the database's clock, and then waits the trader's
 * `orderVisibilityMs` before it believes an order absent. So this instance must never send an
 * order it might no longer own: when no renewal succeeded for two thirds of the lease (measured
 * from when the last successful renewal was sent, on this host's monotonic clock), `abortSignal`
 * fires, traders send nothing more, and submissions wait (`whenHealthy`) until a renewal succeeds
 * again. A later write to an execution taken over in between is refused by its epoch.
 */
export class InstanceLease {
  readonly #o: InstanceLeaseOptions;
  readonly #now: () => number;
  #abort = this.#newController();
  #lastRenewedAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #waiters: (() => void)[] = [];
  #stopped = false;
  #withdrawn = false;

  constructor(options: InstanceLeaseOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Registers the lease; rejects when the database cannot be reached (start-up fails). */
  async start(): Promise<void> {
    await this.#renewOnce();
    // A renewal that hangs (the database stopped answering) must not keep the lease "healthy":
    // the check runs on every tick whatever the renewal in progress does.
    this.#timer = setInterval(
      () => {
        this.#check();
        void this.renew();
      },
      Math.max(250, this.#o.leaseMs / 4),
    );
    this.#timer.unref();
  }

  /** Fires when this instance may no longer send orders (replaced by a new one once healthy). */
  get abortSignal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether this instance may send orders now. */
  healthy(): boolean {
    return (
      !this.#stopped && !this.#withdrawn && this.#now() - this.#lastRenewedAt < this.#safeForMs()
    );
  }

  /** Resolves once this instance may send orders, or once it withdrew (then it may not). */
  whenHealthy(): Promise<void> {
    if (this.healthy() || this.#withdrawn) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Renews now (also called by the timer); never rejects. */
  renew(): Promise<void> {
    this.#renewing ??= this.#renewOnce()
      .catch((error: unknown) => {
        this.#o.logger.warn({ err: errorMessage(error) }, "could not renew the instance lease");
      })
      .finally(() => {
        this.#renewing = undefined;
        this.#check();
      });
    return this.#renewing;
  }

  /**
   * Sends nothing more from now on (the engine is stopping): `abortSignal` fires and stays fired,
   * and whatever waits in `whenHealthy` is let go (it must look at why). Renewals go on until
   * `stop`, so what this instance still owns is not taken over while it winds down.
   */
  withdraw(): void {
    this.#withdrawn = true;
    this.#abort.abort();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Stops renewing and ends the lease at once, so other instances adopt what is left. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.#renewing;
    await this.#o.journal.retire().catch((error: unknown) => {
      this.#o.logger.warn({ err: errorMessage(error) }, "could not end the instance lease");
    });
  }

  async #renewOnce(): Promise<void> {
    const sentAt = this.#now();
    const { lapsed } = await this.#o.journal.renewLease(this.#o.leaseMs, hostname(), process.pid);
    if (this.#stopped) return;
    if (lapsed) {
      this.#o.logger.error(
        { lease_ms: this.#o.leaseMs },
        "the instance lease had run out: other instances may have taken executions over",
      );
    }
    this.#lastRenewedAt = sentAt;
    if (SIGNAL_ABORTED.call(this.#abort.signal) && !this.#withdrawn) {
      this.#abort = this.#newController();
      this.#o.logger.info({}, "instance lease renewed: sending orders again");
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * A controller whose signal's `aborted` is worked out when read, on the monotonic clock. A
   * trader reads it right before it sends (the contract), and the timer that would have fired the
   * abort cannot be relied on: a process that was frozen (SIGSTOP, a VM pause, a long GC) runs its
   * overdue timers by due time, so a rate limiter's wait ends and its order goes out before the
   * lease's own check sees that the lease ran out meanwhile.
   */
  #newController(): AbortController {
    const controller = new AbortController();
    const signal = controller.signal;
    Object.defineProperty(signal, "aborted", {
      get: () => {
        if (controller === this.#abort) this.#check();
        return SIGNAL_ABORTED.call(signal);
      },
    });
    return controller;
  }

  #check(): void {
    if (
      !this.healthy() &&
      !SIGNAL_ABORTED.call(this.#abort.signal) &&
      !this.#stopped &&
      !this.#withdrawn
    ) {
      this.#o.logger.error(
        { lease_ms: this.#o.leaseMs },
        "instance lease at risk: sending no more orders until it is renewed",
      );
      this.#abort.abort();
    }
  }

  #safeForMs(): number {
    return (this.#o.leaseMs * 2) / 3;
  }
}
