// biome-ignore-all lint/complexity/noExcessiveCognitiveComplexity: a recursive-descent reader of JSON: each function is one production of the grammar (an object's members, an array's elements, a depth level) as one loop, the shape the differential tests and the tick benchmark were tuned on; cutting a production across functions reads worse, not better.
import { isOffsetTimestamp } from "./iso-timestamp.js";
import type { MarketQuote } from "./market-quote.js";
import { instantiateMatcher } from "./tick-shape-matcher.js";

/**
 * A single-pass scanner for market tick envelopes, working on the raw bytes.
 *
 * `JSON.parse` builds an object for every depth level, every OHLC field and every string of a tick,
 * only for the engine to read five of them. This walks the bytes once instead, checking that the
 * whole message is valid JSON but materialising nothing except what the engine keeps: top-level
 * `type` and `data`, and in `data` the `instrument_token`, `last_price`, `timestamp`, whether
 * `depth` is an object, and the first price of `depth.buy` and `depth.sell`.
 *
 * It only ever *accepts*: it returns a quote when it is certain that `JSON.parse` followed by the
 * decoder's checks would accept the message with exactly these values, and `null` for everything
 * else: a tick the decoder rejects (a timestamp without an offset among them), malformed JSON, a byte above 0x7f in a string (valid only as
 * UTF-8, which the strict decoder of the `JSON.parse` path checks), an escape in a key or in a
 * string it reads, nesting deeper than {@link MAX_DEPTH}, a message over {@link MAX_SCAN_BYTES}.
 * The caller then decodes with `JSON.parse`, so `null` costs time, never a different answer.
 * Duplicate keys resolve as in `JSON.parse`: the last one wins.
 *
 * Not re-entrant (it scans in a module-level buffer): call it synchronously, as the decoder does.
 */
export function scanMarketTick(raw: string | Uint8Array): MarketQuote | null {
  const n = load(raw);
  if (n < 0) return null;
  if (matchShapes(n) === MISSED) {
    walks += 1;
    if (!walk(n)) return null;
    // A timestamp the schema rejects (no offset, say) is left to the decoder to reject; the
    // matcher checks a matched tick's timestamp itself, where it reads it.
    if (tsStart >= 0 && !isOffsetTimestamp(B, tsStart, tsEnd)) return null;
    learn(n);
  } else {
    shapeMatches += 1;
  }
  // The decoder's checks: a positive safe-integer token, a finite price.
  const token = found[FOUND_TOKEN] as number;
  const price = found[FOUND_PRICE] as number;
  if (!(Number.isSafeInteger(token) && token > 0) || !Number.isFinite(price)) return null;
  return {
    instrumentToken: token,
    lastPrice: price,
    bestBid: quotedPrice(found[FOUND_BID] as number),
    bestAsk: quotedPrice(found[FOUND_ASK] as number),
    hasDepth: depthSeen,
    timestamp: tsStart < 0 ? null : textOf(raw, tsStart, tsEnd),
  };
}

/** Forgets the learnt shapes and zeroes the counters (tests). */
export function resetTickScanner(): void {
  shapes.length = 0;
  acceptedSinceLearning = 0;
  shapeMatches = 0;
  walks = 0;
}

/** Shapes known, messages matched by a shape, messages walked in full (tests, benchmarks). */
export function tickScannerStats(): { shapes: number; matched: number; walked: number } {
  return { shapes: shapes.length, matched: shapeMatches, walked: walks };
}

/**
 * Copies the message into the scan buffer, followed by zeros; returns its length in bytes, or -1
 * when it is not for the scanner.
 */
function load(raw: string | Uint8Array): number {
  let n: number;
  if (typeof raw === "string") {
    // Any character above 0x7f makes the scan give up, so the UTF-8 bytes of an accepted string
    // are its characters one for one, and offsets into them are offsets into the string.
    if (raw.length > MAX_SCAN_BYTES) return -1;
    const { read, written } = encoder.encodeInto(raw, B);
    if (read !== raw.length || written > MAX_SCAN_BYTES) return -1;
    n = written;
  } else {
    n = raw.length;
    if (n > MAX_SCAN_BYTES) return -1;
    B.set(raw);
  }
  // A control character is invalid in every JSON token, so every loop stops at the end without a
  // bounds check, and a truncated message fails like a malformed one.
  V.setInt32(n, 0);
  V.setInt32(n + 4, 0);
  V.setInt32(n + 8, 0);
  V.setInt32(n + 12, 0);
  return n;
}

/** The full walk: true when the message is a valid JSON object with `type` and `data` as read. */
function walk(n: number): boolean {
  typeSeen = false;
  dataSeen = false;
  let i = skipSpace(0);
  if (B[i] !== LBRACE) return false;
  i = walkEnvelope(i + 1);
  return i >= 0 && skipSpace(i) === n && typeSeen && dataSeen;
}

/** Longer messages go to `JSON.parse` (ticks are about 1 KB). */
export const MAX_SCAN_BYTES = 64 * 1024;

/** Nesting deeper than this goes to `JSON.parse` (which has no such limit) instead of recursing. */
export const MAX_DEPTH = 64;

/**
 * The shape matcher (wasm/tick-shape-match.ts): its memory holds the message being scanned,
 * followed by at least 16 zero bytes, what a match found, and the learnt shapes.
 */
const { matcher, layout } = instantiateMatcher();
const memory = new DataView(matcher.memory.buffer);
const B = new Uint8Array(matcher.memory.buffer, layout.MESSAGE, MAX_SCAN_BYTES + 16);
const V = new DataView(matcher.memory.buffer, layout.MESSAGE, MAX_SCAN_BYTES + 16);
const encoder = new TextEncoder();

const FAIL = -1;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const LOWER_T = 0x74;
const LOWER_U = 0x75;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** Four ASCII characters as the little-endian 32-bit word they make in memory. */
const word = (text: string) =>
  text.charCodeAt(0) |
  (text.charCodeAt(1) << 8) |
  (text.charCodeAt(2) << 16) |
  (text.charCodeAt(3) << 24);
const TRUE = word("true");
const NULL = word("null");
const FALS = word("fals");
const TYPE = word("type");
const DATA = word("data");
const SELL = word("sell");
const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const KEY_TOKEN = ascii("instrument_token");
const KEY_PRICE = ascii("last_price");
const KEY_TIMESTAMP = ascii("timestamp");
const KEY_DEPTH = ascii("depth");
const KEY_BUY = ascii("buy");
const KEY_LEVEL_PRICE = ascii("price");
const MARKET_TICK = ascii("market_tick");

/** Powers of ten that are exact doubles, for the exact fast path of `numberAt`. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * 1 for the characters JSON allows after a backslash (`"\/bfnrt`; `u` is handled apart), 2 for
 * hexadecimal digits.
 */
const ESCAPE = new Uint8Array(256);
for (const char of '"\\/bfnrt') ESCAPE[char.charCodeAt(0)] = 1;
for (const char of "0123456789abcdefABCDEF") ESCAPE[char.charCodeAt(0)] = 2;

// What the walk found, in module slots rather than objects so a tick allocates nothing but its
// quote. The scan is synchronous and never re-entered, so one set of slots is enough.
let typeSeen = false;
let dataSeen = false;
/** Whether `data.depth` is an object (the last `depth` key wins, as in `JSON.parse`). */
let depthSeen = false;
/**
 * The numbers read, in a typed array rather than in module slots, where every double stored would
 * be boxed (a tenth of a tick's time); NaN for a number not found.
 */
const found = new Float64Array(matcher.memory.buffer, layout.OUT, 4);
/** The matcher's other findings, as i32s after `found`. */
const out = new Int32Array(matcher.memory.buffer, layout.OUT + 32, 12);
const OUT_TS_START = 0;
const OUT_TS_END = 1;
const OUT_SLOW = 2;
const OUT_SLOT_START = 4;
const OUT_SLOT_END = 8;
const FOUND_TOKEN = 0;
const FOUND_PRICE = 1;
const FOUND_BID = 2;
const FOUND_ASK = 3;

/** As `found.fill(NaN)`, without a call into the runtime per tick. */
function clearFound(): void {
  found[FOUND_TOKEN] = Number.NaN;
  found[FOUND_PRICE] = Number.NaN;
  found[FOUND_BID] = Number.NaN;
  found[FOUND_ASK] = Number.NaN;
}
let tsStart = -1;
let tsEnd = -1;
/** The price of the depth level just walked (NaN when absent or not a number). */
let levelPrice = Number.NaN;
/** The top price of the depth side just walked. */
let sidePrice: number | null = null;
/** Bounds of the key `member` just read: `[keyStart, keyEnd)`. */
let keyStart = 0;
let keyEnd = 0;
/** Index past the value `numberValue` just read. */
let valueEnd = 0;

/** Skips JSON whitespace (space, tab, line feed, carriage return). */
function skipSpace(i: number): number {
  for (;;) {
    const c = B[i] as number;
    if (c > SPACE || (c !== SPACE && c !== LF && c !== CR && c !== TAB)) return i;
    i += 1;
  }
}

/**
 * A mask with the top bit set in each byte of `w` that is a quote, a backslash, a control
 * character or above 0x7f: four bytes of a string checked at once. Borrows only carry upwards from
 * a flagged byte, so the lowest flagged byte is always a real one.
 */
function specialBytes(w: number): number {
  return (
    ((w - 0x20202020) | ((w ^ 0x22222222) - 0x01010101) | ((w ^ 0x5c5c5c5c) - 0x01010101) | w) &
    0x80808080
  );
}

/** Index of the lowest flagged byte of a non-zero `specialBytes` mask. */
function firstFlagged(mask: number): number {
  return (31 - Math.clz32(mask & -mask)) >>> 3;
}

/**
 * Skips a string whose opening quote is at `i - 1`; returns the index past its closing quote.
 * Rejects control characters (invalid JSON) and bytes above 0x7f.
 */
function skipString(i: number): number {
  for (;;) {
    const mask = specialBytes(V.getInt32(i, true));
    if (mask === 0) {
      i += 4;
      continue;
    }
    i += firstFlagged(mask);
    const c = B[i];
    if (c === QUOTE) return i + 1;
    if (c !== BACKSLASH) return FAIL;
    i = skipEscape(i + 1);
    if (i < 0) return FAIL;
  }
}

/** Skips the escape after a backslash at `i - 1`. */
function skipEscape(i: number): number {
  const c = B[i] as number;
  if (c === LOWER_U) {
    return ESCAPE[B[i + 1] as number] === 2 &&
      ESCAPE[B[i + 2] as number] === 2 &&
      ESCAPE[B[i + 3] as number] === 2 &&
      ESCAPE[B[i + 4] as number] === 2
      ? i + 5
      : FAIL;
  }
  return ESCAPE[c] === 1 ? i + 1 : FAIL;
}

/**
 * Skips a string with no escape, opening quote at `i - 1` (a key, or a value the walk reads: an
 * escape there is for `JSON.parse` to decode); returns the index of its closing quote.
 */
function plainString(i: number): number {
  for (;;) {
    const mask = specialBytes(V.getInt32(i, true));
    if (mask === 0) {
      i += 4;
      continue;
    }
    i += firstFlagged(mask);
    return B[i] === QUOTE ? i : FAIL;
  }
}

/** Whether bytes `[start, end)` are exactly `text`. */
function bytesAre(start: number, end: number, text: Uint8Array): boolean {
  if (end - start !== text.length) return false;
  for (let k = 0; k < text.length; k += 1) if (B[start + k] !== text[k]) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/**
 * Skips a number starting at `i` (a minus sign or a digit), as JSON's grammar has it: `-?`, then
 * `0` or a digit run not starting with 0, then optionally `.` and digits, `e` or `E`, a sign and
 * digits. A digit after a leading `0` is left for the caller to reject, as any other byte.
 */
function skipNumber(i: number): number {
  if (B[i] === MINUS) i += 1;
  const first = B[i] as number;
  if (first === ZERO) i += 1;
  else if (first > ZERO && first <= NINE) i = skipDigits(i + 1);
  else return FAIL;
  if (B[i] === DOT) {
    if (!isDigit(B[i + 1] as number)) return FAIL;
    i = skipDigits(i + 2);
  }
  const e = B[i];
  if (e === LOWER_E || e === UPPER_E) {
    i += 1;
    if (B[i] === PLUS || B[i] === MINUS) i += 1;
    if (!isDigit(B[i] as number)) return FAIL;
    i = skipDigits(i + 1);
  }
  return i;
}

/**
 * Index of the first byte from `i` that is not a decimal digit, four bytes at a time: a byte is
 * flagged when below `0` or above `9`, and borrows only carry upwards from a flagged byte.
 */
function skipDigits(i: number): number {
  for (;;) {
    const w = V.getInt32(i, true);
    const mask = ((w - 0x30303030) | (0x39393939 - w)) & 0x80808080;
    if (mask !== 0) return i + firstFlagged(mask);
    i += 4;
  }
}

/**
 * The value of the number at `[start, end)` (already checked by `skipNumber`), exactly as
 * `JSON.parse` reads it. With at most 15 significant digits and no exponent, mantissa and power of
 * ten are both exact doubles, so one division is correctly rounded (Clinger's fast path); anything
 * else goes through the engine's own string-to-number conversion, the one `JSON.parse` uses.
 */
function numberAt(start: number, end: number): number {
  const negative = B[start] === MINUS;
  let mantissa = 0;
  let point = -1;
  for (let i = negative ? start + 1 : start; i < end; i += 1) {
    const digit = (B[i] as number) - ZERO;
    if (digit >= 0 && digit <= 9) mantissa = mantissa * 10 + digit;
    else if (digit === DOT - ZERO) point = i;
    else return Number(asciiOf(start, end));
  }
  const digits = end - start - (negative ? 1 : 0) - (point < 0 ? 0 : 1);
  if (digits > MAX_EXACT_DIGITS) return Number(asciiOf(start, end));
  const value = point < 0 ? mantissa : mantissa / (POW10[end - point - 1] as number);
  return negative ? -value : value;
}

/** Any integer of this many decimal digits is an exact double (2^53 has 16 digits). */
const MAX_EXACT_DIGITS = 15;

/** Scratch bytes `[start, end)`, all below 0x80, as a string. */
function asciiOf(start: number, end: number): string {
  let text = "";
  for (let k = start; k < end; k += 1) text += String.fromCharCode(B[k] as number);
  return text;
}

/** Input `[start, end)`, known to be ASCII, as a string. */
function textOf(raw: string | Uint8Array, start: number, end: number): string {
  if (typeof raw === "string") return raw.slice(start, end);
  // Node's Buffer has a native one (called as a method: a third faster than through `call`); a
  // plain Uint8Array is copied from the scratch bytes.
  return hasLatin1Slice(raw) ? raw.latin1Slice(start, end) : asciiOf(start, end);
}

interface Latin1Slice {
  latin1Slice(start: number, end: number): string;
}

function hasLatin1Slice(raw: Uint8Array): raw is Uint8Array & Latin1Slice {
  return typeof (raw as Partial<Latin1Slice>).latin1Slice === "function";
}

/** Skips any JSON value starting at `i` (not whitespace); `depth` counts enclosing containers. */
function skipValue(i: number, depth: number): number {
  const c = B[i] as number;
  if (c === QUOTE) return skipString(i + 1);
  if (c === MINUS || isDigit(c)) return skipNumber(i);
  if (c === LBRACE) return skipObject(i + 1, depth + 1);
  if (c === LBRACKET) return skipArray(i + 1, depth + 1);
  if (c === LOWER_T) return V.getInt32(i, true) === TRUE ? i + 4 : FAIL;
  if (c === LOWER_N) return V.getInt32(i, true) === NULL ? i + 4 : FAIL;
  if (c === LOWER_F) return V.getInt32(i, true) === FALS && B[i + 4] === LOWER_E ? i + 5 : FAIL;
  return FAIL;
}

/** Skips an object whose `{` is at `i - 1`; returns the index past the `}`. */
function skipObject(i: number, depth: number): number {
  if (depth > MAX_DEPTH) return FAIL;
  i = skipSpace(i);
  if (B[i] === RBRACE) return i + 1;
  for (;;) {
    if (B[i] !== QUOTE) return FAIL;
    i = skipString(i + 1);
    if (i < 0) return FAIL;
    if (B[i] !== COLON) {
      i = skipSpace(i);
      if (B[i] !== COLON) return FAIL;
    }
    i = skipSpace(i + 1);
    i = skipValue(i, depth);
    if (i < 0) return FAIL;
    let c = B[i];
    if (c !== COMMA && c !== RBRACE) {
      i = skipSpace(i);
      c = B[i];
    }
    if (c === RBRACE) return i + 1;
    if (c !== COMMA) return FAIL;
    i = skipSpace(i + 1);
  }
}

/** Skips an array whose `[` is at `i - 1`; returns the index past the `]`. */
function skipArray(i: number, depth: number): number {
  if (depth > MAX_DEPTH) return FAIL;
  i = skipSpace(i);
  if (B[i] === RBRACKET) return i + 1;
  return skipElements(i, depth);
}

/** Skips the elements of an array from `i` (at an element); returns the index past the `]`. */
function skipElements(i: number, depth: number): number {
  for (;;) {
    i = skipValue(i, depth);
    if (i < 0) return FAIL;
    let c = B[i];
    if (c !== COMMA && c !== RBRACKET) {
      i = skipSpace(i);
      c = B[i];
    }
    if (c === RBRACKET) return i + 1;
    if (c !== COMMA) return FAIL;
    i = skipSpace(i + 1);
  }
}

/**
 * Reads `"key":` at `i` (at the opening quote) and returns the index of the value after it, the
 * key being `[keyStart, keyEnd)`.
 */
function member(i: number): number {
  if (B[i] !== QUOTE) return FAIL;
  keyStart = i + 1;
  keyEnd = plainString(keyStart);
  if (keyEnd < 0) return FAIL;
  i = keyEnd + 1;
  if (B[i] !== COLON) {
    i = skipSpace(i);
    if (B[i] !== COLON) return FAIL;
  }
  return skipSpace(i + 1);
}

/**
 * After a member's value at `i`: the index of the next member, or, past the object's closing `}`
 * at index `j`, `-2 - j` (any other outcome is FAIL). `closed` turns that back into `j + 1`.
 */
function nextMember(i: number): number {
  let c = B[i];
  if (c !== COMMA && c !== RBRACE) {
    i = skipSpace(i);
    c = B[i];
  }
  if (c === COMMA) return skipSpace(i + 1);
  return c === RBRACE ? -2 - i : FAIL;
}

function closed(next: number): number {
  return -1 - next;
}

/** Whether the key just read is the four characters of `text` (as a `word`). */
function keyIs4(text: number): boolean {
  return keyEnd - keyStart === 4 && V.getInt32(keyStart, true) === text;
}

/** The top-level object, `{` at `i - 1`: reads `type` and `data`, skips the rest. */
function walkEnvelope(i: number): number {
  i = skipSpace(i);
  if (B[i] === RBRACE) return i + 1;
  for (;;) {
    i = member(i);
    if (i < 0) return FAIL;
    if (keyIs4(TYPE)) {
      // Anything but the plain string "market_tick" is a rejection, or for JSON.parse to read.
      if (B[i] !== QUOTE) return FAIL;
      const end = plainString(i + 1);
      if (end < 0 || !bytesAre(i + 1, end, MARKET_TICK)) return FAIL;
      typeSeen = true;
      i = end + 1;
    } else if (keyIs4(DATA)) {
      if (B[i] !== LBRACE) return FAIL;
      i = walkData(i + 1);
      dataSeen = true;
    } else {
      i = skipValue(i, 1);
    }
    if (i < 0) return FAIL;
    i = nextMember(i);
    if (i === FAIL) return FAIL;
    if (i < FAIL) return closed(i);
  }
}

/** The number at `i` when there is one, else NaN; the index past the value in `valueEnd`. */
function numberValue(i: number, depth: number): number {
  const c = B[i] as number;
  valueEnd = skipValue(i, depth);
  return valueEnd >= 0 && (c === MINUS || isDigit(c)) ? numberAt(i, valueEnd) : Number.NaN;
}

/** The tick's payload, `{` at `i - 1`. */
function walkData(i: number): number {
  clearFound();
  depthSeen = false;
  tsStart = -1;
  tsEnd = -1;
  i = skipSpace(i);
  if (B[i] === RBRACE) return i + 1;
  for (;;) {
    i = member(i);
    if (i < 0) return FAIL;
    const length = keyEnd - keyStart;
    if (length === 16 && bytesAre(keyStart, keyEnd, KEY_TOKEN)) {
      found[FOUND_TOKEN] = numberValue(i, 2);
      i = valueEnd;
    } else if (length === 10 && bytesAre(keyStart, keyEnd, KEY_PRICE)) {
      found[FOUND_PRICE] = numberValue(i, 2);
      i = valueEnd;
    } else if (length === 9 && bytesAre(keyStart, keyEnd, KEY_TIMESTAMP)) {
      if (B[i] === QUOTE) {
        tsStart = i + 1;
        tsEnd = plainString(tsStart);
        i = tsEnd < 0 ? FAIL : tsEnd + 1;
      } else {
        // Not a string: the schema rejects the tick, so the decoder must (JSON.parse decides, in
        // case a later duplicate key replaces this value).
        return FAIL;
      }
    } else if (length === 5 && bytesAre(keyStart, keyEnd, KEY_DEPTH)) {
      found[FOUND_BID] = Number.NaN;
      found[FOUND_ASK] = Number.NaN;
      // Only an object has sides; any other value, even a truthy one, gives no quote.
      depthSeen = B[i] === LBRACE;
      i = depthSeen ? walkDepth(i + 1) : skipValue(i, 2);
    } else {
      i = skipValue(i, 2);
    }
    if (i < 0) return FAIL;
    i = nextMember(i);
    if (i === FAIL) return FAIL;
    if (i < FAIL) return closed(i);
  }
}

/** `data.depth`, `{` at `i - 1`: the top price of `buy` and of `sell`. */
function walkDepth(i: number): number {
  i = skipSpace(i);
  if (B[i] === RBRACE) return i + 1;
  for (;;) {
    i = member(i);
    if (i < 0) return FAIL;
    const buy = bytesAre(keyStart, keyEnd, KEY_BUY);
    if (buy || keyIs4(SELL)) {
      sidePrice = null;
      // Only an array has levels.
      i = B[i] === LBRACKET ? walkSide(i + 1) : skipValue(i, 3);
      found[buy ? FOUND_BID : FOUND_ASK] = sidePrice ?? Number.NaN;
    } else {
      i = skipValue(i, 3);
    }
    if (i < 0) return FAIL;
    i = nextMember(i);
    if (i === FAIL) return FAIL;
    if (i < FAIL) return closed(i);
  }
}

/** A depth side, `[` at `i - 1`: the price of its first level when that level is an object. */
function walkSide(i: number): number {
  i = skipSpace(i);
  if (B[i] === RBRACKET) return i + 1;
  if (B[i] !== LBRACE) return skipElements(i, 4);
  i = walkLevel(i + 1);
  if (i < 0) return FAIL;
  // The feed pads empty depth levels with zeros; a zero is no quote.
  sidePrice = Number.isFinite(levelPrice) && levelPrice > 0 ? levelPrice : null;
  let c = B[i];
  if (c !== COMMA && c !== RBRACKET) {
    i = skipSpace(i);
    c = B[i];
  }
  if (c === RBRACKET) return i + 1;
  if (c !== COMMA) return FAIL;
  return skipElements(skipSpace(i + 1), 4);
}

/** A depth level, `{` at `i - 1`: its `price` when that is a number. */
function walkLevel(i: number): number {
  levelPrice = Number.NaN;
  i = skipSpace(i);
  if (B[i] === RBRACE) return i + 1;
  for (;;) {
    i = member(i);
    if (i < 0) return FAIL;
    if (bytesAre(keyStart, keyEnd, KEY_LEVEL_PRICE)) {
      levelPrice = numberValue(i, 5);
      i = valueEnd;
    } else {
      i = skipValue(i, 5);
    }
    if (i < 0) return FAIL;
    i = nextMember(i);
    if (i === FAIL) return FAIL;
    if (i < FAIL) return closed(i);
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes. A feed writes every tick of a mode with the same keys in the same order; only values
// change. Once a message has been walked and accepted, its shape is learnt: the bytes between its
// string and number values (braces, keys, colons, commas, whitespace, literals, and the `type`
// value) as fixed runs, and, for each value, its kind and what the engine reads from it. A message
// of a known shape is then checked run by run and only its values are scanned: no key is looked
// up, no structure decided again. That check runs for every tick, so it is done by a WebAssembly
// module (wasm/tick-shape-match.ts), which compares eight bytes and classifies sixteen at a time;
// learnt shapes are written into its memory, and the message is copied there to be scanned.
//
// Why that is exact: a message that matches a shape is the learnt message (valid JSON, accepted)
// with each string replaced by a valid string and each number by a valid number, so it is valid
// JSON too, with the same keys at the same places; the values the engine reads sit in the slots
// the learnt walk marked. Shapes with duplicate keys the engine reads are never learnt (the last
// occurrence wins there, which the slots would not capture).

/** What the engine reads from a value of a shape (the matcher's slots). */
const SLOT_NONE = 0;
const SLOT_TOKEN = 1;
const SLOT_PRICE = 2;
const SLOT_TIMESTAMP = 3;
const SLOT_BID = 4;
const SLOT_ASK = 5;
/** Value kinds, or-ed with the slot. */
const STRING_VALUE = 0;
const NUMBER_VALUE = 8;
if (
  layout.NUMBER_VALUE !== NUMBER_VALUE ||
  layout.SLOT_TIMESTAMP !== SLOT_TIMESTAMP ||
  layout.MESSAGE_CAPACITY !== MAX_SCAN_BYTES
) {
  throw new Error("tick-shape-match.wasm is not built from this scanner's source: run build:wasm");
}

/** Addresses of the learnt shapes in the matcher's memory, the last one matched first. */
const shapes: number[] = [];
/**
 * Per shape slot, 1 when its `data.depth` is an object. Braces are fixed bytes of a shape, so a
 * message matching it has depth exactly when the learnt message had; kept here, not in the
 * matcher, which needs to know nothing about it.
 */
const shapeHasDepth = new Uint8Array(layout.SHAPE_SLOTS);
const shapeIndex = (address: number) => (address - layout.SHAPES) / layout.SHAPE_BYTES;
let acceptedSinceLearning = 0;
let shapeMatches = 0;
let walks = 0;
/** With every slot taken, a new shape is learnt from one accepted walk in this many. */
const RELEARN_EVERY = 64;

const MATCHED = 1;
const MISSED = 0;

/** Tries the known shapes: MATCHED (slots read) or MISSED (walk the message). */
function matchShapes(n: number): number {
  for (let k = 0; k < shapes.length; k += 1) {
    const shape = shapes[k] as number;
    if (matcher.match(shape, n) !== layout.MATCHED) continue;
    if (k > 0) {
      shapes.splice(k, 1);
      shapes.unshift(shape);
    }
    tsStart = out[OUT_TS_START] as number;
    tsEnd = out[OUT_TS_END] as number;
    depthSeen = shapeHasDepth[shapeIndex(shape)] === 1;
    const slow = out[OUT_SLOW] as number;
    if (slow !== 0) readSlowNumbers(slow);
    return MATCHED;
  }
  return MISSED;
}

/**
 * The slots whose number the matcher could not convert exactly itself (an exponent, more than 15
 * digits): converted by the engine's own string-to-number conversion, the one `JSON.parse` uses.
 */
function readSlowNumbers(slow: number): void {
  for (let slot = 0; slot < 4; slot += 1) {
    if ((slow & (1 << slot)) === 0) continue;
    found[slot] = Number(
      asciiOf(out[OUT_SLOT_START + slot] as number, out[OUT_SLOT_END + slot] as number),
    );
  }
}

/** A depth level's price as a quote: the feed pads empty depth levels with zeros, no quote. */
function quotedPrice(value: number): number | null {
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** After an accepted walk: learns the message's shape when a slot is free, or now and then. */
function learn(n: number): void {
  if (shapes.length >= layout.SHAPE_SLOTS) {
    acceptedSinceLearning += 1;
    if (acceptedSinceLearning < RELEARN_EVERY) return;
  }
  acceptedSinceLearning = 0;
  // A free slot, or the one matched longest ago (forgotten even if the new shape is not kept).
  let address = layout.SHAPES;
  if (shapes.length >= layout.SHAPE_SLOTS) address = shapes.pop() as number;
  else while (shapes.includes(address)) address += layout.SHAPE_BYTES;
  if (!learnShape(n, address)) return;
  // The walk just accepted this message: its depth is the shape's.
  shapeHasDepth[shapeIndex(address)] = depthSeen ? 1 : 0;
  shapes.unshift(address);
}

// Where a value sits, as far as the engine is concerned.
const AT_OTHER = 0;
const AT_ROOT = 1;
const AT_TYPE = 2;
const AT_DATA = 3;
const AT_TOKEN = 4;
const AT_PRICE = 5;
const AT_TIMESTAMP = 6;
const AT_DEPTH = 7;
const AT_BUY = 8;
const AT_SELL = 9;
const AT_BUY_LEVEL = 10;
const AT_SELL_LEVEL = 11;
const AT_BID = 12;
const AT_ASK = 13;

/** The members the engine reads, by object: [object, key, where the member's value sits]. */
const MEMBERS: [number, Uint8Array, number][] = [
  [AT_ROOT, ascii("type"), AT_TYPE],
  [AT_ROOT, ascii("data"), AT_DATA],
  [AT_DATA, KEY_TOKEN, AT_TOKEN],
  [AT_DATA, KEY_PRICE, AT_PRICE],
  [AT_DATA, KEY_TIMESTAMP, AT_TIMESTAMP],
  [AT_DATA, KEY_DEPTH, AT_DEPTH],
  [AT_DEPTH, KEY_BUY, AT_BUY],
  [AT_DEPTH, ascii("sell"), AT_SELL],
  [AT_BUY_LEVEL, KEY_LEVEL_PRICE, AT_BID],
  [AT_SELL_LEVEL, KEY_LEVEL_PRICE, AT_ASK],
];

const SLOT_AT: Record<number, number> = {
  [AT_TOKEN]: SLOT_TOKEN,
  [AT_PRICE]: SLOT_PRICE,
  [AT_TIMESTAMP]: SLOT_TIMESTAMP,
  [AT_BID]: SLOT_BID,
  [AT_ASK]: SLOT_ASK,
};

/** The shape being learnt: the bytes of every run, and the values between them. */
let learnt = newLearnt();

function newLearnt() {
  return {
    values: [] as number[],
    /** Per value, its length without quotes. */
    valueLengths: [] as number[],
    bytes: [] as number[][],
    runStart: 0,
  };
}

/**
 * Learns the shape of the accepted message in the scan buffer into the matcher's memory at
 * `address`; false when it has none to keep or is too large for a slot.
 */
function learnShape(n: number, address: number): boolean {
  learnt = newLearnt();
  const end = learnValue(skipSpace(0), AT_ROOT);
  if (end < 0 || skipSpace(end) !== n) return false;
  closeRun(n);
  const count = learnt.values.length;
  if (count > layout.MAX_VALUES) return false;
  let op = address + 16;
  let bytesAt = address + layout.OPS_BYTES;
  for (let k = 0; k <= count; k += 1) {
    const run = learnt.bytes[k] as number[];
    const length = run.length;
    if (bytesAt + Math.ceil(Math.max(length, 1) / 8) * 8 > address + layout.SHAPE_BYTES) {
      return false;
    }
    memory.setInt32(op, length, true);
    memory.setInt32(op + 4, bytesAt, true);
    if (k < count) {
      memory.setInt32(op + 8, learnt.values[k] as number, true);
      memory.setInt32(op + 12, learnt.valueLengths[k] as number, true);
    }
    op += 16;
    // Eight bytes at a time, the last eight overlapping the eight before when the length is no
    // multiple of eight; a run shorter than eight is one word padded with zeros, compared under a
    // mask of its length.
    if (length < 8) {
      for (let j = 0; j < 8; j += 1)
        memory.setUint8(bytesAt + j, j < length ? (run[j] as number) : 0);
      bytesAt += 8;
      continue;
    }
    for (let at = 0; at < length; at += 8) {
      const from = Math.min(at, length - 8);
      for (let j = 0; j < 8; j += 1) memory.setUint8(bytesAt + j, run[from + j] as number);
      bytesAt += 8;
    }
  }
  memory.setInt32(address, count, true);
  return true;
}

/** Ends the fixed run at `end`. */
function closeRun(end: number): void {
  learnt.bytes.push(Array.from(B.subarray(learnt.runStart, end)));
}

/** A value at `[start, end)` of a kind, or-ed with its slot. */
function learnVariable(start: number, end: number, kindAndSlot: number): void {
  closeRun(start);
  learnt.values.push(kindAndSlot);
  // A string's quotes are not part of its length.
  learnt.valueLengths.push(kindAndSlot >= NUMBER_VALUE ? end - start : end - 1 - start);
  learnt.runStart = end;
}

/** Learns the value at `i` (sitting at `at`); returns the index past it, or FAIL. */
function learnValue(i: number, at: number): number {
  const c = B[i] as number;
  if (c === QUOTE) {
    const end = skipString(i + 1);
    if (end < 0) return FAIL;
    // The type is part of the shape: a message of another type does not match it.
    if (at === AT_TYPE) return end;
    if (at === AT_TIMESTAMP) {
      if (plainString(i + 1) !== end - 1) return FAIL;
      learnVariable(i + 1, end, STRING_VALUE + SLOT_TIMESTAMP);
    } else {
      learnVariable(i + 1, end, STRING_VALUE);
    }
    return end;
  }
  if (c === MINUS || isDigit(c)) {
    const end = skipNumber(i);
    if (end < 0) return FAIL;
    learnVariable(i, end, NUMBER_VALUE + (SLOT_AT[at] ?? SLOT_NONE));
    return end;
  }
  if (c === LBRACE) return learnObject(i + 1, at);
  if (c === LBRACKET) return learnArray(i + 1, at);
  // true, false, null: fixed.
  return skipValue(i, 0);
}

function learnObject(i: number, at: number): number {
  let seen = 0;
  i = skipSpace(i);
  if (B[i] === RBRACE) return i + 1;
  for (;;) {
    if (B[i] !== QUOTE) return FAIL;
    const keyFrom = i + 1;
    i = skipString(keyFrom);
    if (i < 0) return FAIL;
    let child = AT_OTHER;
    for (let m = 0; m < MEMBERS.length; m += 1) {
      const [object, key, where] = MEMBERS[m] as [number, Uint8Array, number];
      if (object === at && bytesAre(keyFrom, i - 1, key)) {
        // A key the engine reads, twice: the last wins, which slots cannot say.
        if (seen & (1 << m)) return FAIL;
        seen |= 1 << m;
        child = where;
      }
    }
    i = skipSpace(i);
    if (B[i] !== COLON) return FAIL;
    i = learnValue(skipSpace(i + 1), child);
    if (i < 0) return FAIL;
    i = skipSpace(i);
    if (B[i] === RBRACE) return i + 1;
    if (B[i] !== COMMA) return FAIL;
    i = skipSpace(i + 1);
  }
}

function learnArray(i: number, at: number): number {
  // Only the first level of a depth side is read.
  let child = at === AT_BUY ? AT_BUY_LEVEL : at === AT_SELL ? AT_SELL_LEVEL : AT_OTHER;
  i = skipSpace(i);
  if (B[i] === RBRACKET) return i + 1;
  for (;;) {
    i = learnValue(i, child);
    if (i < 0) return FAIL;
    child = AT_OTHER;
    i = skipSpace(i);
    if (B[i] === RBRACKET) return i + 1;
    if (B[i] !== COMMA) return FAIL;
    i = skipSpace(i + 1);
  }
}
