// The shape matcher of the tick scanner (src/tick-scanner.ts), in AssemblyScript.
//
// The scanner learns the shape of a market tick in TypeScript (the fixed runs of bytes between its
// values, and each value's kind) and writes it into this module's memory; matching a message
// against a learnt shape is the part that runs for every tick, and here it reads eight and sixteen
// bytes at a time, which JavaScript cannot. What it must decide is exactly what the TypeScript
// walk would: see the scanner for why a match is exact.
//
// Memory layout (bytes). The scanner reads these offsets from the module's exports.
//   MESSAGE  the message being scanned, then at least 16 zero bytes
//   OUT      what a match found: four doubles (token, price, bid, ask), then i32s: timestamp start
//            and end, a mask of the slots whose number needs the engine's own conversion, and the
//            start and end of each slot's number
//   SHAPES   SHAPE_SLOTS shapes of SHAPE_BYTES each: an i32 count of values, then from byte 16
//            four i32s per value (run length, address of the run's bytes, kind, last length) and
//            two for the final run; the runs' bytes after the ops, OPS_BYTES in

export const MESSAGE: usize = 0;
export const MESSAGE_CAPACITY: i32 = 65536;
export const OUT: usize = 65600;
export const SHAPES: usize = 131072;
export const SHAPE_SLOTS: i32 = 4;
export const SHAPE_BYTES: i32 = 262144;
export const OPS_BYTES: i32 = 65600;
export const MAX_VALUES: i32 = 4096;

export const MATCHED: i32 = 1;
export const MISSED: i32 = 0;

// Value kinds, or-ed with the slot the engine reads them into (as in the scanner).
export const NUMBER_VALUE: i32 = 8;
export const SLOT_TIMESTAMP: i32 = 3;

const QUOTE: u32 = 0x22;
const BACKSLASH: u32 = 0x5c;
const MINUS: u32 = 0x2d;
const PLUS: u32 = 0x2b;
const DOT: u32 = 0x2e;
const ZERO: u32 = 0x30;
const LOWER_U: u32 = 0x75;

// OUT fields.
const OUT_TS_START: usize = OUT + 32;
const OUT_TS_END: usize = OUT + 36;
const OUT_SLOW: usize = OUT + 40;
const OUT_SLOT_START: usize = OUT + 48;
const OUT_SLOT_END: usize = OUT + 64;

/** Powers of ten that are exact doubles. */
const POW10: StaticArray<f64> = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
];
/** Any integer of this many decimal digits is an exact double. */
const MAX_EXACT_DIGITS: i32 = 15;

@inline function isDigit(c: u32): bool {
  return c - ZERO < 10;
}

/** Lanes of `v` that are a quote, a backslash, a control character or above 0x7f. */
@inline function special(v: v128): v128 {
  // As signed bytes, everything above 0x7f is below 0x20 too.
  return v128.or(
    v128.or(i8x16.lt_s(v, i8x16.splat(0x20)), i8x16.eq(v, i8x16.splat(0x22))),
    i8x16.eq(v, i8x16.splat(0x5c)),
  );
}

/**
 * Matches the message of `n` bytes at MESSAGE against the shape at `shape`: MATCHED, with what it
 * found in OUT, or MISSED.
 */
export function match(shape: usize, n: i32): i32 {
  const nan = f64.NaN;
  store<f64>(OUT, nan);
  store<f64>(OUT, nan, 8);
  store<f64>(OUT, nan, 16);
  store<f64>(OUT, nan, 24);
  store<i32>(OUT_TS_START, -1);
  store<i32>(OUT_SLOW, 0);
  const count = load<i32>(shape);
  const end = MESSAGE + <usize>n;
  let op = shape + 16;
  let p = MESSAGE;
  for (let k = 0; ; k++, op += 16) {
    const length = load<i32>(op);
    let run = <usize>load<i32>(op, 4);
    if (length >= 8) {
      const last = p + <usize>length - 8;
      for (; p < last; p += 8, run += 8) if (load<u64>(p) != load<u64>(run)) return MISSED;
      if (load<u64>(last) != load<u64>(run)) return MISSED;
      p = last + 8;
    } else {
      const mask: u64 = (<u64>1 << (<u64>length << 3)) - 1;
      if ((load<u64>(p) & mask) != load<u64>(run)) return MISSED;
      p += <usize>length;
    }
    if (k == count) return p == end ? MATCHED : MISSED;
    const kind = load<i32>(op, 8);
    if (kind >= NUMBER_VALUE) {
      const index = foundIndex(kind - NUMBER_VALUE);
      p = index < 0 ? skipNumber(p) : readNumber(p, index);
      if (p == 0) return MISSED;
      continue;
    }
    // A string; its opening quote is in the run before.
    const start = p;
    const expected = load<i32>(op, 12);
    if (isPlainString(p, expected)) {
      p += <usize>expected + 1;
    } else {
      p = skipString(p, kind == SLOT_TIMESTAMP);
      if (p == 0) return MISSED;
      store<i32>(op, <i32>(p - 1 - start), 12);
    }
    if (kind == SLOT_TIMESTAMP) {
      // A timestamp the schema rejects (no offset, say): the walk decides, and rejects it.
      if (!isOffsetTimestamp(start, p - 1)) return MISSED;
      store<i32>(OUT_TS_START, <i32>start);
      store<i32>(OUT_TS_END, <i32>(p - 1));
    }
  }
  // The loop only ends by returning; the compiler cannot tell.
  return MISSED;
}

const COLON: u32 = 0x3a;
const UPPER_T: u32 = 0x54;
const UPPER_Z: u32 = 0x5a;

/**
 * Whether `[start, end)` is a timestamp the contract's schema accepts: `YYYY-MM-DDTHH:MM:SS`, an
 * optional fraction, then `Z` or `+HH:MM` / `-HH:MM`, a real day and time. The same checks, in
 * the same order, as `isOffsetTimestamp` in src/iso-timestamp.ts (the walk's); the
 * decoder's property tests hold both to the schema.
 */
function isOffsetTimestamp(start: usize, end: usize): bool {
  if (end < start + 20) return false;
  if (
    <u32>load<u8>(start + 4) != MINUS ||
    <u32>load<u8>(start + 7) != MINUS ||
    <u32>load<u8>(start + 10) != UPPER_T ||
    <u32>load<u8>(start + 13) != COLON ||
    <u32>load<u8>(start + 16) != COLON
  ) {
    return false;
  }
  const century = twoDigits(start);
  const yearOfCentury = twoDigits(start + 2);
  const month = twoDigits(start + 5);
  const day = twoDigits(start + 8);
  if (century < 0 || yearOfCentury < 0 || month < 1 || month > 12 || day < 1) return false;
  if (day > 28 && day > daysInMonth(month, century * 100 + yearOfCentury)) return false;
  if (!isClock(start + 11, 23) || !isClock(start + 14, 59) || !isClock(start + 17, 59)) {
    return false;
  }
  let i = start + 19;
  if (<u32>load<u8>(i) == DOT) {
    i++;
    const fraction = i;
    while (i < end && isDigit(load<u8>(i))) i++;
    if (i == fraction) return false;
  }
  if (i == end - 1) return <u32>load<u8>(i) == UPPER_Z;
  if (i != end - 6) return false;
  const sign = <u32>load<u8>(i);
  return (
    (sign == PLUS || sign == MINUS) &&
    isClock(i + 1, 23) &&
    <u32>load<u8>(i + 3) == COLON &&
    isClock(i + 4, 59)
  );
}

function daysInMonth(month: i32, year: i32): i32 {
  if (month == 2) return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
  return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
}

/** The two decimal digits at `i` as a number, or -1. */
@inline function twoDigits(i: usize): i32 {
  const high = <u32>load<u8>(i) - ZERO;
  const low = <u32>load<u8>(i + 1) - ZERO;
  return high < 10 && low < 10 ? <i32>(high * 10 + low) : -1;
}

/** Two digits at `i` from 00 to `max`. */
@inline function isClock(i: usize, max: i32): bool {
  const value = twoDigits(i);
  return value >= 0 && value <= max;
}

/**
 * Where the number of a slot goes among the four doubles of OUT (token, price, bid, ask), or -1:
 * a timestamp that is a number is no timestamp, and not read.
 */
@inline function foundIndex(slot: i32): i32 {
  return slot == 1 ? 0 : slot == 2 ? 1 : slot == 4 ? 2 : slot == 5 ? 3 : -1;
}

/**
 * Whether the string opening at `i - 1` is `length` bytes with no quote, backslash, control
 * character or byte above 0x7f, then its closing quote: the feed's strings are usually as long as
 * last time.
 */
@inline function isPlainString(i: usize, length: i32): bool {
  if (<u32>load<u8>(i + <usize>length) != QUOTE) return false;
  if (length < 16) {
    return (i8x16.bitmask(special(v128.load(i))) & ((1 << length) - 1)) == 0;
  }
  const close = i + <usize>length;
  let flags = special(v128.load(close - 16));
  for (; i < close - 16; i += 16) flags = v128.or(flags, special(v128.load(i)));
  return !v128.any_true(flags);
}

/**
 * Skips a string whose opening quote is at `i - 1`; the index past its closing quote, or 0 for a
 * control character, a byte above 0x7f, a bad escape, or any escape when `plain`.
 */
function skipString(i: usize, plain: bool): usize {
  for (;;) {
    const mask = i8x16.bitmask(special(v128.load(i)));
    if (mask == 0) {
      i += 16;
      continue;
    }
    i += <usize>ctz(mask);
    const c = <u32>load<u8>(i);
    if (c == QUOTE) return i + 1;
    if (c != BACKSLASH || plain) return 0;
    i = skipEscape(i + 1);
    if (i == 0) return 0;
  }
  return 0;
}

@inline function isHex(c: u32): bool {
  return c - ZERO < 10 || (c | 0x20) - 0x61 < 6;
}

/** Skips the escape after a backslash at `i - 1`; 0 when it is not one JSON allows. */
function skipEscape(i: usize): usize {
  const c = <u32>load<u8>(i);
  if (c == LOWER_U) {
    return isHex(load<u8>(i + 1)) &&
      isHex(load<u8>(i + 2)) &&
      isHex(load<u8>(i + 3)) &&
      isHex(load<u8>(i + 4))
      ? i + 5
      : 0;
  }
  // " \ / b f n r t
  return c == QUOTE ||
    c == BACKSLASH ||
    c == 0x2f ||
    c == 0x62 ||
    c == 0x66 ||
    c == 0x6e ||
    c == 0x72 ||
    c == 0x74
    ? i + 1
    : 0;
}

/** Index of the first byte from `i` that is not a decimal digit. */
@inline function skipDigits(i: usize): usize {
  while (isDigit(load<u8>(i))) i++;
  return i;
}

/**
 * Skips a number starting at `i`, as JSON's grammar has it (see the scanner's `skipNumber`);
 * 0 when there is none.
 */
function skipNumber(i: usize): usize {
  if (<u32>load<u8>(i) == MINUS) i++;
  const first = <u32>load<u8>(i);
  if (first == ZERO) i++;
  else if (first - 0x31 < 9) i = skipDigits(i + 1);
  else return 0;
  if (<u32>load<u8>(i) == DOT) {
    if (!isDigit(load<u8>(i + 1))) return 0;
    i = skipDigits(i + 2);
  }
  if ((<u32>load<u8>(i) | 0x20) == 0x65) {
    i++;
    const sign = <u32>load<u8>(i);
    if (sign == PLUS || sign == MINUS) i++;
    if (!isDigit(load<u8>(i))) return 0;
    i = skipDigits(i + 1);
  }
  return i;
}

/**
 * Skips the number at `i` as `skipNumber` does and stores its value at `index` in OUT. With at
 * most 15 significant digits and no exponent, mantissa and power of ten are both exact doubles, so
 * one division is correctly rounded (Clinger's fast path); any other number is marked for the
 * engine's own string-to-number conversion, the one `JSON.parse` uses.
 */
function readNumber(i: usize, index: i32): usize {
  const start = i;
  const negative = <u32>load<u8>(i) == MINUS;
  if (negative) i++;
  let c = <u32>load<u8>(i);
  let mantissa: f64 = 0;
  let digits = 0;
  if (c == ZERO) {
    i++;
  } else if (c - 0x31 < 9) {
    do {
      mantissa = mantissa * 10 + <f64>(c - ZERO);
      digits++;
      i++;
      c = load<u8>(i);
    } while (isDigit(c));
  } else {
    return 0;
  }
  let fraction = 0;
  if (<u32>load<u8>(i) == DOT) {
    i++;
    c = load<u8>(i);
    if (!isDigit(c)) return 0;
    do {
      mantissa = mantissa * 10 + <f64>(c - ZERO);
      fraction++;
      i++;
      c = load<u8>(i);
    } while (isDigit(c));
  }
  let exact = digits + fraction <= MAX_EXACT_DIGITS;
  if ((<u32>load<u8>(i) | 0x20) == 0x65) {
    exact = false;
    i++;
    const sign = <u32>load<u8>(i);
    if (sign == PLUS || sign == MINUS) i++;
    if (!isDigit(load<u8>(i))) return 0;
    i = skipDigits(i + 1);
  }
  const at = <usize>index;
  if (exact) {
    const value = fraction == 0 ? mantissa : mantissa / unchecked(POW10[fraction]);
    store<f64>(OUT + (at << 3), negative ? -value : value);
  } else {
    store<i32>(OUT_SLOW, load<i32>(OUT_SLOW) | (1 << index));
    store<i32>(OUT_SLOT_START + (at << 2), <i32>start);
    store<i32>(OUT_SLOT_END + (at << 2), <i32>i);
  }
  return i;
}
