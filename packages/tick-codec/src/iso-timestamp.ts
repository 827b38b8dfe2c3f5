/**
 * Whether bytes `[start, end)` of `bytes` spell a timestamp that `@engine/core`'s `TimestampSchema`
 * accepts, without making a string of them: `YYYY-MM-DDTHH:MM:SS`, optionally `.` and one or more
 * digits, then `Z` or `+HH:MM` / `-HH:MM`. As zod's `z.iso.datetime({ offset: true })` (the pattern it compiles, for
 * zod 4): a real calendar day (30 April, 28 February, 29 February only in Gregorian leap years),
 * hours 00-23, minutes and seconds 00-59, an offset's hours 00-23 and minutes 00-59, `T` and `Z` in
 * upper case, ASCII digits only. The tick scanner runs this for every tick it reads; the property
 * tests compare it with the schema.
 *
 * @see TimestampSchema in payloads.ts, the definition this mirrors
 */
export function isOffsetTimestamp(bytes: Uint8Array, start: number, end: number): boolean {
  // The shortest form: 2026-11-23T09:15:00Z.
  if (end - start < 20 || end > bytes.length) return false;
  if (!isDateAndTime(bytes, start)) return false;
  let i = start + 19;
  if (bytes[i] === DOT) {
    i += 1;
    const fraction = i;
    while (i < end && isDigit(bytes[i] as number)) i += 1;
    if (i === fraction) return false;
  }
  return isZone(bytes, i, end);
}

/** `YYYY-MM-DDTHH:MM:SS` at `start`: a real calendar day and a valid clock time. */
function isDateAndTime(bytes: Uint8Array, start: number): boolean {
  if (
    bytes[start + 4] !== MINUS ||
    bytes[start + 7] !== MINUS ||
    bytes[start + 10] !== UPPER_T ||
    bytes[start + 13] !== COLON ||
    bytes[start + 16] !== COLON
  ) {
    return false;
  }
  const century = twoDigits(bytes, start);
  const yearOfCentury = twoDigits(bytes, start + 2);
  const month = twoDigits(bytes, start + 5);
  const day = twoDigits(bytes, start + 8);
  if (century < 0 || yearOfCentury < 0 || month < 1 || month > 12 || day < 1) return false;
  if (day > 28 && day > daysInMonth(month, century * 100 + yearOfCentury)) return false;
  if (!isClock(bytes, start + 11, 23) || !isClock(bytes, start + 14, 59)) return false;
  const second = twoDigits(bytes, start + 17);
  return second >= 0 && second <= 59;
}

/** `[i, end)` is `Z`, or `+HH:MM` / `-HH:MM`. */
function isZone(bytes: Uint8Array, i: number, end: number): boolean {
  if (i === end - 1) return bytes[i] === UPPER_Z;
  if (i !== end - 6) return false;
  const sign = bytes[i];
  return (
    (sign === PLUS || sign === MINUS) &&
    isClock(bytes, i + 1, 23) &&
    bytes[i + 3] === COLON &&
    isClock(bytes, i + 4, 59)
  );
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const COLON = 0x3a;
const UPPER_T = 0x54;
const UPPER_Z = 0x5a;

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(month: number, year: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month] as number;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return leap ? 29 : 28;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= ZERO + 9;
}

/** The two decimal digits at `i` as a number, or -1. */
function twoDigits(bytes: Uint8Array, i: number): number {
  const high = bytes[i] as number;
  const low = bytes[i + 1] as number;
  return isDigit(high) && isDigit(low) ? (high - ZERO) * 10 + (low - ZERO) : -1;
}

/** Two digits at `i` from 00 to `max`. */
function isClock(bytes: Uint8Array, i: number, max: number): boolean {
  const value = twoDigits(bytes, i);
  return value >= 0 && value <= max;
}
