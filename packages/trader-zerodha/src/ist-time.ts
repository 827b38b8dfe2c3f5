/**
 * India Standard Time helpers. IST is a fixed UTC+05:30 with no daylight saving, so plain
 * arithmetic on epoch milliseconds is exact and never depends on the host's time zone.
 */

/** The offset of IST from UTC. */
export const IST_OFFSET_MS = 5.5 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** `YYYY-MM-DD` of the IST calendar day that contains the instant. */
export function istDate(epochMs: number): string {
  return new Date(epochMs + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Epoch ms of IST midnight starting the day that contains the instant. */
function istMidnight(epochMs: number): number {
  const shifted = epochMs + IST_OFFSET_MS;
  return shifted - (((shifted % DAY_MS) + DAY_MS) % DAY_MS) - IST_OFFSET_MS;
}

/** Epoch ms of the most recent `hh:mm` IST at or before the instant. */
export function latestIstTimeAtOrBefore(epochMs: number, hours: number, minutes: number): number {
  const today = istMidnight(epochMs) + (hours * 60 + minutes) * 60_000;
  return today <= epochMs ? today : today - DAY_MS;
}

/** Epoch ms of the next `hh:mm` IST strictly after the instant. */
export function nextIstTimeAfter(epochMs: number, hours: number, minutes: number): number {
  return latestIstTimeAtOrBefore(epochMs, hours, minutes) + DAY_MS;
}

const KITE_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * Epoch ms of a Kite timestamp, or null when it cannot be read. Kite writes 19-character IST
 * times without an offset (`2026-11-23 09:15:02`); the kiteconnect client turns those into
 * `Date`s read in the host's zone, so a `Date` is taken apart with its local getters (which give
 * back the wall-clock fields Kite sent) and re-read as IST.
 */
export function kiteTimestampToEpoch(value: unknown): number | null {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    return (
      Date.UTC(
        value.getFullYear(),
        value.getMonth(),
        value.getDate(),
        value.getHours(),
        value.getMinutes(),
        value.getSeconds(),
      ) - IST_OFFSET_MS
    );
  }
  if (typeof value !== "string") return null;
  const match = KITE_TIMESTAMP.exec(value.trim());
  if (match === null) return null;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = match
    .slice(1)
    .map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second) - IST_OFFSET_MS;
}
