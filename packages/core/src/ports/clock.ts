/** The time port, injectable so market hours, caches and timestamps are testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The host's wall clock (`Date.now()`, epoch ms). */
export const systemClock: Clock = { now: () => Date.now() };

/** ISO-8601 UTC timestamp of the clock's current time, as written on the wire. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
