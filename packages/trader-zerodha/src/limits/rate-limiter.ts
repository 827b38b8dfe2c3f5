/** At most `limit` requests in any window of `windowMs`. */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

export interface RateLimiterOptions {
  windows: readonly RateWindow[];
  /** Added to every window, for clock differences between the engine and the server. */
  marginMs?: number;
  /** Monotonic milliseconds; injectable for tests (with fake timers). */
  now?: () => number;
}

/**
 * Leave to send one request: `release` it when the request is over, answered or not, or `cancel`
 * it when the request was not sent after all (the slot is handed back at once).
 */
export interface Permit {
  release(): void;
  cancel(): void;
}

interface Entry {
  end: number | null;
}

interface Waiter {
  urgent: boolean;
  resolve(permit: Permit | null): void;
  timer: NodeJS.Timeout | undefined;
}

/** How long a caller will wait, and whether it goes ahead of routine callers. */
export interface AcquireOptions {
  /** On the limiter's clock; the caller gets null rather than a later slot. */
  deadline?: number;
  abort?: AbortSignal;
  /**
   * Goes ahead of every routine waiter (after earlier urgent ones): a lookup that decides
   * whether an order exists must not queue behind order-status polls.
   */
  urgent?: boolean;
}

/**
 * Client-side sliding-window rate limiting, so the engine never earns a 429.
 *
 * What counts is the rate the *server* sees, and a request reaches the server at some moment
 * between being sent and being answered. So a request occupies every window from the moment it
 * is sent until one window after it was answered (or given up on): then no window at the server
 * can hold more than the limit, however the network delays requests. In-flight requests block
 * until they end. Callers wait in order (first come, first served, urgent ones first); a caller
 * whose deadline passes first gets nothing and took nothing. After a 429,
 * {@link RateLimiter.pauseUntil} holds every new request back.
 */
export class RateLimiter {
  readonly #windows: RateWindow[];
  readonly #longest: number;
  readonly #now: () => number;
  readonly #queue: Waiter[] = [];
  #entries: Entry[] = [];
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RateLimiterOptions) {
    const margin = options.marginMs ?? 0;
    this.#windows = options.windows.map((window) => ({
      limit: window.limit,
      windowMs: window.windowMs + margin,
    }));
    this.#longest = Math.max(0, ...this.#windows.map((window) => window.windowMs));
    this.#now = options.now ?? (() => performance.now());
  }

  /** The current time on the limiter's clock. */
  now(): number {
    return this.#now();
  }

  /**
   * Resolves with a permit as soon as every window has room, or with null when the deadline or
   * the abort comes first.
   */
  acquire(options: AcquireOptions = {}): Promise<Permit | null> {
    const { deadline = Number.POSITIVE_INFINITY, abort, urgent = false } = options;
    if (abort?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = { urgent, resolve, timer: undefined };
      const giveUp = () => {
        const index = this.#queue.indexOf(waiter);
        if (index === -1) return;
        this.#queue.splice(index, 1);
        clearTimeout(waiter.timer);
        abort?.removeEventListener("abort", giveUp);
        resolve(null);
        this.#pump();
      };
      waiter.resolve = (permit) => {
        clearTimeout(waiter.timer);
        abort?.removeEventListener("abort", giveUp);
        resolve(permit);
      };
      if (Number.isFinite(deadline)) {
        waiter.timer = setTimeout(giveUp, Math.max(0, deadline - this.#now()));
      }
      abort?.addEventListener("abort", giveUp, { once: true });
      const firstRoutine = urgent ? this.#queue.findIndex((other) => !other.urgent) : -1;
      if (firstRoutine === -1) this.#queue.push(waiter);
      else this.#queue.splice(firstRoutine, 0, waiter);
      this.#pump();
    });
  }

  /** Holds every request back until `until` (after a 429 that came anyway). */
  pauseUntil(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
    this.#pump();
  }

  /** Requests sent and not yet released. */
  get inFlight(): number {
    return this.#entries.filter((entry) => entry.end === null).length;
  }

  /** Grants permits to waiters in order while the windows allow, then sleeps until they might. */
  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (;;) {
      const head = this.#queue[0];
      if (head === undefined) return;
      const now = this.#now();
      this.#prune(now);
      const at = this.#earliest(now);
      if (at === null) return; // Blocked by requests in flight: a release pumps again.
      if (at > now) {
        this.#timer = setTimeout(() => this.#pump(), Math.max(1, Math.ceil(at - now)));
        return;
      }
      this.#queue.shift();
      const entry: Entry = { end: null };
      this.#entries.push(entry);
      head.resolve({
        release: () => {
          if (entry.end !== null) return;
          entry.end = this.#now();
          this.#pump();
        },
        cancel: () => {
          if (entry.end !== null) return;
          // Never sent: it occupies no window (and a later release is a no-op).
          entry.end = Number.NEGATIVE_INFINITY;
          const index = this.#entries.indexOf(entry);
          if (index !== -1) this.#entries.splice(index, 1);
          this.#pump();
        },
      });
    }
  }

  /** When the next request may start, or null while requests in flight fill a window. */
  #earliest(now: number): number | null {
    let at = Math.max(now, this.#pausedUntil);
    for (const window of this.#windows) {
      let inFlight = 0;
      const frees: number[] = [];
      for (const entry of this.#entries) {
        if (entry.end === null) inFlight += 1;
        else if (entry.end + window.windowMs > now) frees.push(entry.end + window.windowMs);
      }
      const excess = inFlight + frees.length - window.limit + 1;
      if (excess <= 0) continue;
      if (excess > frees.length) return null;
      frees.sort((a, b) => a - b);
      at = Math.max(at, frees[excess - 1] as number);
    }
    return at;
  }

  #prune(now: number): void {
    if (this.#entries.length < 64) return;
    this.#entries = this.#entries.filter(
      (entry) => entry.end === null || entry.end + this.#longest > now,
    );
  }
}
