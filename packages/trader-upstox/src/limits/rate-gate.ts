/** At most `limit` requests in any window of `windowMs` milliseconds. */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

/** Leave to send one request: `release` when it is over (answered or not), `cancel` if unsent. */
export interface Permit {
  release(): void;
  cancel(): void;
}

interface Slot {
  end: number | null;
}

interface Waiter {
  deadline: number;
  abort: AbortSignal | undefined;
  resolve(permit: Permit | null): void;
}

/**
 * Client-side sliding windows, so Upstox never sees more than its limits. A request occupies its
 * windows from when it is sent until one window after it ended: it reaches the server somewhere
 * in between, so no window at the server can hold more than the limit whatever the network does.
 * Waiters are served first come, first served; one whose deadline passes (or whose abort fires)
 * gets null and took nothing. After a 429, `pause` holds every new request back.
 */
export class RateGate {
  readonly #windows: readonly RateWindow[];
  readonly #now: () => number;
  readonly #longest: number;
  #slots: Slot[] = [];
  #queue: Waiter[] = [];
  #pausedUntil = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(windows: readonly RateWindow[], now: () => number = () => performance.now()) {
    this.#windows = windows;
    this.#now = now;
    this.#longest = Math.max(...windows.map((window) => window.windowMs));
  }

  /** Waits for a slot until `maxWaitMs` have passed; null when none came or `abort` fired. */
  acquire(maxWaitMs: number, abort?: AbortSignal): Promise<Permit | null> {
    if (abort?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#queue.push({ deadline: this.#now() + maxWaitMs, abort, resolve });
      abort?.addEventListener("abort", () => this.#pump(), { once: true });
      this.#pump();
    });
  }

  /** Holds new requests back for `ms` (after Upstox answered 429). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
    this.#pump();
  }

  /** Gives every waiter null (on shutdown). */
  close(): void {
    clearTimeout(this.#timer);
    for (const waiter of this.#queue.splice(0)) waiter.resolve(null);
  }

  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (;;) {
      const head = this.#queue[0];
      if (head === undefined) return;
      const now = this.#now();
      if (head.abort?.aborted || now > head.deadline) {
        this.#queue.shift();
        head.resolve(null);
        continue;
      }
      const wait = this.#waitMs(now);
      if (wait > 0) {
        // Infinite: only a release frees a slot, and it pumps; the deadline still needs a timer.
        const delay = Math.min(wait, head.deadline - now + 1);
        this.#timer = setTimeout(() => this.#pump(), Math.max(1, Math.ceil(delay)));
        return;
      }
      this.#queue.shift();
      head.resolve(this.#grant());
    }
  }

  #grant(): Permit {
    const slot: Slot = { end: null };
    this.#slots.push(slot);
    let done = false;
    return {
      release: () => {
        if (done) return;
        done = true;
        slot.end = this.#now();
        this.#pump();
      },
      cancel: () => {
        if (done) return;
        done = true;
        this.#slots = this.#slots.filter((other) => other !== slot);
        this.#pump();
      },
    };
  }

  /** Milliseconds until a request may be sent: 0 now, Infinity until a running one ends. */
  #waitMs(now: number): number {
    this.#slots = this.#slots.filter((slot) => slot.end === null || slot.end + this.#longest > now);
    let wait = Math.max(0, this.#pausedUntil - now);
    for (const { limit, windowMs } of this.#windows) {
      const busy = this.#slots.filter((slot) => slot.end === null || slot.end + windowMs > now);
      if (busy.length < limit) continue;
      const expiries = busy
        .filter((slot) => slot.end !== null)
        .map((slot) => (slot.end as number) + windowMs - now)
        .sort((a, b) => a - b);
      wait = Math.max(wait, expiries[busy.length - limit] ?? Number.POSITIVE_INFINITY);
    }
    return wait;
  }
}
