/** India Standard Time is a fixed UTC+05:30 with no daylight saving, so plain arithmetic is exact. */
const IST_OFFSET_MS = 5.5 * 60 * 60 * 1000;

function istParts(epochMs: number): Date {
  // A Date shifted by the offset, read through its UTC getters, shows IST wall-clock fields.
  return new Date(epochMs + IST_OFFSET_MS);
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** Formats an instant as Kite does: `YYYY-MM-DD HH:MM:SS` in IST, without an offset. */
export function formatIstTimestamp(epochMs: number): string {
  const d = istParts(epochMs);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `YYMMDD` of the IST trading day, the prefix of Kite's order ids. */
export function istDatePrefix(epochMs: number): string {
  const d = istParts(epochMs);
  return `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}
