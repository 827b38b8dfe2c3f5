import { readFileSync } from "node:fs";
import {
  MAX_DEPTH,
  MAX_SCAN_BYTES,
  resetTickScanner,
  scanMarketTick,
  tickScannerStats,
} from "@engine/tick-codec";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { seededRandom } from "../testing/seeded-random.js";
import type { DecodeResult } from "./decode.js";
import {
  decodeMarketTick,
  decodeMarketTickParsed,
  type MarketQuote,
} from "./market-tick-decoder.js";

// The scanner must decide exactly as the JSON.parse decoder does, for every input. These tests
// build JSON text themselves, so key order, duplicate keys, whitespace, escapes and number
// spellings are under the generators' control, and compare the two decoders on it, whole and
// mutated byte by byte.

const REPO_ROOT = new URL("../../../../", import.meta.url);
const EXAMPLE = readFileSync(new URL("../shared/contract/examples/market_tick.json", REPO_ROOT));

/** A JSON document as text is written: members in order, duplicates allowed, numbers as spelt. */
type Json =
  | { kind: "object"; members: [string, Json][] }
  | { kind: "array"; items: Json[] }
  | { kind: "string"; value: string }
  | { kind: "number"; text: string }
  | { kind: "literal"; text: "true" | "false" | "null" };

const str = (value: string): Json => ({ kind: "string", value });
const num = (text: string): Json => ({ kind: "number", text });
const obj = (members: [string, Json][]): Json => ({ kind: "object", members });
const arr = (items: Json[]): Json => ({ kind: "array", items });

/** How text is laid out: whitespace between tokens, and how often characters are escaped. */
type Style = "compact" | "python" | "random";

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};
const WHITESPACE = ["", " ", "  ", "\n", "\t", "\r\n  ", " \n"];

function serialize(json: Json, style: Style, seed: number): string {
  const random = seededRandom(seed);
  const space = () =>
    style === "random" && random() < 0.3
      ? (WHITESPACE[Math.floor(random() * WHITESPACE.length)] as string)
      : "";
  const hex = (code: number) => {
    const digits = code.toString(16).padStart(4, "0");
    return random() < 0.5 ? digits : digits.toUpperCase();
  };
  const quote = (text: string) => {
    let out = '"';
    for (const char of text.split("")) {
      const code = char.charCodeAt(0);
      const must = char === '"' || char === "\\" || code < 0x20;
      if (must || (style === "random" && random() < 0.002)) {
        const short = SHORT_ESCAPES[char];
        if (short !== undefined && random() < 0.7) out += short;
        else if (char === "/" && random() < 0.5) out += "\\/";
        else out += `\\u${hex(code)}`;
      } else {
        out += char;
      }
    }
    return `${out}"`;
  };
  const write = (value: Json): string => {
    switch (value.kind) {
      case "string":
        return quote(value.value);
      case "number":
      case "literal":
        return value.text;
      case "array":
        if (value.items.length === 0) return `[${space()}]`;
        return `[${value.items.map((item) => `${space()}${write(item)}${space()}`).join(style === "python" ? ", " : ",")}]`;
      case "object":
        if (value.members.length === 0) return `{${space()}}`;
        return `{${value.members
          .map(
            ([key, item]) =>
              `${space()}${quote(key)}${space()}${style === "python" ? ": " : ":"}${space()}${write(item)}${space()}`,
          )
          .join(style === "python" ? ", " : ",")}}`;
    }
  };
  return `${space()}${write(json)}${space()}`;
}

// --- Generators -------------------------------------------------------------------------------

const style = fc.constantFrom<Style>("compact", "python", "random");

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });

/** Every way JSON spells a number, valid ones only (mutations make the invalid ones). */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
  fc
    .tuple(fc.boolean(), fc.nat({ max: 99_999 }), digits(1, 20))
    .map(([negative, whole, fraction]) => `${negative ? "-" : ""}${whole}.${fraction}`),
  fc
    .tuple(fc.integer({ min: -5000, max: 5000 }), digits(1, 3), fc.constantFrom("e", "E"))
    .chain(([whole, fraction, e]) =>
      fc
        .tuple(fc.constantFrom("", "+", "-"), fc.nat({ max: 400 }))
        .map(([sign, exponent]) => `${whole}.${fraction}${e}${sign}${exponent}`),
    ),
  fc.constantFrom(
    "0",
    "-0",
    "0.0",
    "-0.0",
    "1e3",
    "1E+2",
    "2.5e-3",
    "1e999",
    "-1e999",
    "738561.0",
    "7385610e-1",
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "123456789012345.6",
    "1234567890123456.7",
    "0.000000000000000000000000001",
    "2500.75",
    "2500.7500000000000000001",
  ),
);

/** Printable ASCII without quote and backslash: text the feed writes, needing no escape. */
const plain = (maxLength: number) =>
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0x7e })
      .filter((code) => code !== 0x22 && code !== 0x5c)
      .map((code) => String.fromCharCode(code)),
    maxLength,
  });

/** Characters that make the scanner careful: quotes, escapes, controls, non-ASCII, surrogates. */
const text = fc.oneof(
  { weight: 40, arbitrary: plain(24) },
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 })
      .map((codes) => String.fromCharCode(...codes)),
  },
  { weight: 1, arbitrary: fc.constantFrom('"', "\\", "/", "\u0000", "\u007f", "é", "\ud800") },
);

/** Keys, including the ones the engine reads, so they also turn up where it must not read them. */
const key = fc.oneof(
  { weight: 40, arbitrary: plain(12) },
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "type",
      "data",
      "instrument_token",
      "last_price",
      "timestamp",
      "depth",
      "buy",
      "sell",
      "price",
      "__proto__",
    ),
  },
);

const scalar: fc.Arbitrary<Json> = fc.oneof(
  text.map(str),
  numberText.map(num),
  fc
    .constantFrom<"true" | "false" | "null">("true", "false", "null")
    .map((literal): Json => ({ kind: "literal", text: literal })),
);

const { tree } = fc.letrec<{ tree: Json; array: Json; object: Json }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", maxDepth: 3 }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("tree"), { maxLength: 4 }).map(arr),
  object: fc.array(fc.tuple(key, tie("tree")), { maxLength: 4 }).map(obj),
}));

const mostly = <T>(usual: fc.Arbitrary<T>, unusual: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 24, arbitrary: usual }, { weight: 1, arbitrary: unusual });

/**
 * An object with these members, each usually present and now and then duplicated, with extra
 * members, in a random order.
 */
function objectOf(fields: [string, fc.Arbitrary<Json>][]): fc.Arbitrary<Json> {
  const presence = fc.oneof(
    { weight: 60, arbitrary: fc.constant(1) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constant(2) },
  );
  const member = (value: fc.Arbitrary<Json>) => fc.tuple(presence, value, value);
  return fc
    .tuple(
      fc.tuple(...fields.map(([, value]) => member(value))),
      fc.array(fc.tuple(key, tree), { maxLength: 3 }),
      fc.integer(),
    )
    .map(([values, extras, seed]) => {
      const members: [string, Json][] = [];
      fields.forEach(([name], index) => {
        const [count, first, second] = values[index] as [number, Json, Json];
        if (count >= 1) members.push([name, first]);
        if (count === 2) members.push([name, second]);
      });
      members.push(...extras);
      const random = seededRandom(seed);
      // Mostly the feed's own order; sometimes shuffled.
      if (random() < 0.3) {
        for (let k = members.length - 1; k > 0; k -= 1) {
          const j = Math.floor(random() * (k + 1));
          [members[k], members[j]] = [members[j] as [string, Json], members[k] as [string, Json]];
        }
      }
      return obj(members);
    });
}

const positiveToken = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(String).map(num);
const priceNumber = fc.oneof(
  fc
    .tuple(fc.nat({ max: 99_999 }), fc.nat({ max: 99 }))
    .map(([whole, cents]) => num(`${whole}.${cents}`)),
  numberText.map(num),
);
const level = mostly(
  objectOf([
    ["price", mostly(priceNumber, tree)],
    ["quantity", fc.nat().map(String).map(num)],
    ["orders", fc.nat({ max: 99 }).map(String).map(num)],
  ]),
  tree,
);
const side = mostly(fc.array(level, { maxLength: 5 }).map(arr), tree);
const depth = mostly(
  objectOf([
    ["buy", side],
    ["sell", side],
  ]),
  tree,
);
const isoTimestamp = fc
  .date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true })
  .map((date) => date.toISOString());
const payload = objectOf([
  ["instrument_token", mostly(positiveToken, fc.oneof(numberText.map(num), tree))],
  ["last_price", mostly(priceNumber, tree)],
  ["timestamp", mostly(isoTimestamp.map(str), fc.oneof(text.map(str), tree))],
  ["volume_traded", fc.nat().map(String).map(num)],
  [
    "ohlc",
    objectOf([
      ["open", priceNumber],
      ["close", priceNumber],
    ]),
  ],
  ["depth", depth],
  ["mode", fc.constant(str("full"))],
]);
const tick = objectOf([
  ["id", fc.uuid().map(str)],
  ["type", mostly(fc.constant(str("market_tick")), fc.oneof(text.map(str), tree))],
  ["ts", isoTimestamp.map(str)],
  ["key", fc.nat().map(String).map(str)],
  ["version", fc.constant(num("1"))],
  ["causation_id", fc.constant<Json>({ kind: "literal", text: "null" })],
  ["data", mostly(payload, tree)],
]);

/** A byte-level edit: overwrite, insert or delete at a position (as a fraction of the length). */
const mutation = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  edit: fc.constantFrom("overwrite", "insert", "delete", "truncate"),
  byte: fc.oneof(
    fc.constantFrom(
      ...'{}[],:"\\-+.0123456789eEtfnu \n\u0000'.split("").map((c) => c.charCodeAt(0)),
    ),
    fc.integer({ min: 0, max: 255 }),
  ),
});

function mutate(bytes: Buffer, edits: { at: number; edit: string; byte: number }[]): Buffer {
  let out = bytes;
  for (const { at, edit, byte } of edits) {
    const index = Math.floor(at * out.length);
    const head = out.subarray(0, index);
    if (edit === "overwrite")
      out = Buffer.concat([head, Buffer.from([byte]), out.subarray(index + 1)]);
    else if (edit === "insert")
      out = Buffer.concat([head, Buffer.from([byte]), out.subarray(index)]);
    else if (edit === "delete") out = Buffer.concat([head, out.subarray(index + 1)]);
    else out = Buffer.from(head);
  }
  return out;
}

// --- Comparison -------------------------------------------------------------------------------

/** A result as plain data, telling -0 from 0. */
function comparable(result: DecodeResult<MarketQuote>) {
  if (!result.ok) {
    return { ok: false, issues: result.error.issues, message: result.error.message };
  }
  const exact = (value: number | null) => (Object.is(value, -0) ? "-0" : value);
  const { instrumentToken, lastPrice, bestBid, bestAsk, hasDepth, timestamp } = result.value;
  return {
    ok: true,
    instrumentToken: exact(instrumentToken),
    lastPrice: exact(lastPrice),
    bestBid: exact(bestBid),
    bestAsk: exact(bestAsk),
    hasDepth,
    timestamp,
  };
}

/** Decodes with both decoders, bytes and text, and expects the same answer; returns it. */
function expectSameAsJsonParse(raw: Buffer | string): DecodeResult<MarketQuote> {
  const expected = comparable(decodeMarketTickParsed(raw));
  const decoded = decodeMarketTick(raw);
  expect(comparable(decoded), typeof raw === "string" ? raw : raw.toString("latin1")).toEqual(
    expected,
  );
  return decoded;
}

// --- Tests ------------------------------------------------------------------------------------

describe("scanMarketTick", () => {
  beforeEach(() => resetTickScanner());

  it("reads the contract example without JSON.parse, as bytes and as text", () => {
    const reference = decodeMarketTickParsed(EXAMPLE);
    expect(reference.ok).toBe(true);
    if (!reference.ok) return;
    expect(scanMarketTick(EXAMPLE)).toEqual(reference.value);
    expect(scanMarketTick(EXAMPLE.toString("utf8"))).toEqual(reference.value);
  });

  it("walks a new shape once, then matches later ticks of that shape", () => {
    const message = JSON.parse(EXAMPLE.toString("utf8"));
    for (const [k, price] of [2500.75, 2501.5, 99, 0.05].entries()) {
      message.data.instrument_token = 738561 + k;
      message.data.last_price = price;
      message.data.depth.buy[0].price = price - 0.05;
      message.data.timestamp = `2026-11-23T03:59:5${k}.000000+00:00`;
      const decoded = expectSameAsJsonParse(Buffer.from(JSON.stringify(message)));
      expect(decoded.ok && decoded.value.lastPrice).toBe(price);
    }
    expect(tickScannerStats()).toEqual({ shapes: 1, matched: 3, walked: 1 });
  });

  it.each([
    ["a byte-order mark", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), EXAMPLE])],
    ["non-ASCII text in a string", Buffer.from(EXAMPLE.toString().replace("full", "fülł"))],
    [
      "an escape in a key",
      Buffer.from(EXAMPLE.toString().replace('"last_price"', '"last\\u005fprice"')),
    ],
    [
      "an escaped timestamp",
      Buffer.from(EXAMPLE.toString().replace("T03:59:59.88", "\\u005403:59:59.88")),
    ],
    [
      "an escaped type",
      Buffer.from(EXAMPLE.toString().replace('"market_tick"', '"market\\u005ftick"')),
    ],
  ])("leaves %s to JSON.parse, which accepts it", (_label, raw) => {
    expect(scanMarketTick(raw)).toBeNull();
    expect(expectSameAsJsonParse(raw).ok).toBe(true);
  });

  it(`leaves nesting deeper than ${MAX_DEPTH} to JSON.parse`, () => {
    const message = JSON.parse(EXAMPLE.toString("utf8"));
    message.data.nested = JSON.parse(`${"[".repeat(MAX_DEPTH + 5)}${"]".repeat(MAX_DEPTH + 5)}`);
    const raw = Buffer.from(JSON.stringify(message));
    expect(scanMarketTick(raw)).toBeNull();
    expect(expectSameAsJsonParse(raw).ok).toBe(true);
  });

  it(`leaves messages over ${MAX_SCAN_BYTES} bytes to JSON.parse`, () => {
    const message = JSON.parse(EXAMPLE.toString("utf8"));
    message.data.padding = "x".repeat(MAX_SCAN_BYTES);
    const raw = Buffer.from(JSON.stringify(message));
    expect(scanMarketTick(raw)).toBeNull();
    expect(scanMarketTick(raw.toString("utf8"))).toBeNull();
    expect(expectSameAsJsonParse(raw).ok).toBe(true);
  });

  it("takes the last of duplicate keys, as JSON.parse does, and learns no shape from them", () => {
    const raw = Buffer.from(
      EXAMPLE.toString()
        .replace('"type": "market_tick"', '"type": "order_filled", "type": "market_tick"')
        .replace('"last_price": 2500.75', '"last_price": 1, "last_price": 2500.75')
        .replace('"depth": {', '"depth": null, "depth": {'),
    );
    const decoded = expectSameAsJsonParse(raw);
    expect(decoded.ok && decoded.value).toMatchObject({ lastPrice: 2500.75, bestBid: 2500.7 });
    expect(tickScannerStats().shapes).toBe(0);
  });

  it("rejects every truncation of a tick as JSON.parse does, learnt shape or not", () => {
    for (const learnt of [false, true]) {
      resetTickScanner();
      if (learnt) scanMarketTick(EXAMPLE);
      const json = EXAMPLE.toString("utf8").trimEnd();
      for (let length = 0; length < json.length; length += 1) {
        expect(expectSameAsJsonParse(EXAMPLE.subarray(0, length)).ok).toBe(false);
        expect(expectSameAsJsonParse(json.slice(0, length)).ok).toBe(false);
      }
    }
  });

  it("reads every JSON spelling of a number as JSON.parse does", () => {
    fc.assert(
      fc.property(numberText, fc.boolean(), (spelling, asPrice) => {
        const message = JSON.parse(EXAMPLE.toString("utf8"));
        const raw = Buffer.from(
          JSON.stringify(message).replace(
            asPrice ? '"last_price":2500.75' : '"price":2500.7',
            asPrice ? `"last_price":${spelling}` : `"price":${spelling}`,
          ),
        );
        expectSameAsJsonParse(raw);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("scanMarketTick on a learnt shape", () => {
  beforeEach(() => resetTickScanner());

  /** The example, compact, with an array whose separators are fixed runs shorter than 8 bytes. */
  const compact = () => {
    const message = JSON.parse(EXAMPLE.toString("utf8"));
    message.data.extra = [1, 22, "ab", 3, "c", -4.5, true, "", 0];
    return JSON.stringify(message);
  };
  const learn = (text: string) => {
    expect(expectSameAsJsonParse(Buffer.from(text)).ok).toBe(true);
    expect(tickScannerStats().shapes).toBe(1);
  };

  it("decides as JSON.parse does whatever byte of a learnt tick is overwritten", () => {
    const base = Buffer.from(compact());
    const replacements = '"\\/\u0000\u001f\u007f0.eE+- ,:}]tn'
      .split("")
      .map((c) => c.charCodeAt(0))
      .concat([0x80, 0xc3, 0xff]);
    for (let at = 0; at < base.length; at += 1) {
      for (const byte of replacements) {
        resetTickScanner();
        learn(base.toString("latin1"));
        const mutated = Buffer.from(base);
        mutated[at] = byte;
        expectSameAsJsonParse(mutated);
      }
    }
  }, 120_000);

  it.each([
    ["a quote", 'a"'],
    ["an escaped quote", '\\"'],
    ["an escape", "\\n"],
    ["a unicode escape", "\\u0041"],
    ["a bad escape", "\\x"],
    ["a control character", "\u0001"],
    ["a tab", "\t"],
    ["a delete", "\u007f"],
  ])(
    "decides a skipped string holding %s, at its learnt length, as JSON.parse does",
    (_label, inner) => {
      const base = compact();
      learn(base);
      const source = '"source":"market_feed"';
      const replaced = `"source":"${inner}${"x".repeat(11 - inner.length)}"`;
      expect(replaced.length).toBe(source.length);
      expectSameAsJsonParse(Buffer.from(base.replace(source, replaced)));
      // The timestamp is read: an escape there is for JSON.parse.
      const timestamp = '"timestamp":"2026-11-23T03:59:59.880000+00:00"';
      const stamped = `"timestamp":"${inner}${"x".repeat(32 - inner.length)}"`;
      expect(stamped.length).toBe(timestamp.length);
      expectSameAsJsonParse(Buffer.from(base.replace(timestamp, stamped)));
    },
  );

  it("reads strings of another length than last time without walking the tick again", () => {
    const base = compact();
    learn(base);
    for (const [id, stamp] of [
      ["x", "2026-11-23T03:59:59Z"],
      ["", "2026-11-23T09:29:59.9+05:30"],
      ["0193a2c4-7a00-7000-8000-0000000000010193a2c4", "2026-11-23T03:59:59.880000001+00:00"],
      ["0193a2c4-7a00-7000-8000-000000000001", "2026-11-23T03:59:59.880000+00:00"],
    ]) {
      const text = base
        .replace(/"id":"[^"]*"/, `"id":"${id}"`)
        .replace(/"timestamp":"[^"]*"/, `"timestamp":"${stamp}"`);
      const decoded = expectSameAsJsonParse(Buffer.from(text));
      expect(decoded.ok && decoded.value.timestamp).toBe(stamp);
    }
    expect(tickScannerStats()).toMatchObject({ matched: 4, walked: 1 });
  });

  it("converts the numbers it reads that are not exact in one division, without a walk", () => {
    const base = compact();
    learn(base);
    const spellings = ["1e5", "-1.5E+3", "2500.7500000000000000001", "123456789012345.6", "5e-324"];
    for (const spelling of spellings) {
      for (const field of ['"last_price":2500.75', '"price":2500.7', '"price":2500.8']) {
        const key = field.slice(0, field.indexOf(":") + 1);
        const decoded = expectSameAsJsonParse(
          Buffer.from(base.replace(field, `${key}${spelling}`)),
        );
        expect(decoded.ok).toBe(true);
      }
      const token = expectSameAsJsonParse(
        Buffer.from(base.replace('"instrument_token":738561', '"instrument_token":7.38561e5')),
      );
      expect(token.ok && token.value.instrumentToken).toBe(738561);
    }
    expect(tickScannerStats()).toMatchObject({ shapes: 1, walked: 1, matched: 20 });
  });

  it("rejects a timestamp that is a number, learnt shape or not, and learns none from it", () => {
    const message = JSON.parse(EXAMPLE.toString("utf8"));
    message.data.depth = { sell: [], buy: [] };
    const withStamp = (stamp: unknown) => {
      message.data.timestamp = stamp;
      return Buffer.from(JSON.stringify(message));
    };
    for (const stamp of [9079.89, 1, -2.5e3]) {
      expect(expectSameAsJsonParse(withStamp(stamp)).ok).toBe(false);
    }
    expect(tickScannerStats()).toEqual({ shapes: 0, walked: 3, matched: 0 });
    expect(expectSameAsJsonParse(withStamp("2026-11-23T03:59:59Z")).ok).toBe(true);
    expect(expectSameAsJsonParse(withStamp(9079.89)).ok).toBe(false);
    expect(tickScannerStats()).toEqual({ shapes: 1, walked: 5, matched: 0 });
  });

  it("rejects a timestamp without an offset at the learnt length, in the shape and the walk", () => {
    const base = compact();
    learn(base);
    const learntStamp = '"timestamp":"2026-11-23T03:59:59.880000+00:00"';
    for (const stamp of ["2026-11-23T03:59:59.880000000000", "2026-11-23T03:59:59.880000+00:0Z"]) {
      expect(stamp.length).toBe(32);
      const raw = Buffer.from(base.replace(learntStamp, `"timestamp":"${stamp}"`));
      expect(expectSameAsJsonParse(raw).ok).toBe(false);
    }
    // The shape refuses them where it reads the timestamp; the walk then leaves them to the decoder.
    expect(tickScannerStats()).toMatchObject({ shapes: 1, walked: 3, matched: 0 });
  });

  it("tells a book without sellers from a tick without depth, walked and by shape", () => {
    const message = JSON.parse(EXAMPLE.toString("utf8"));
    const levels = (price: number) =>
      [0, 1, 2, 3, 4].map(() => ({ price, quantity: price === 0 ? 0 : 10, orders: 1 }));
    // An upper circuit: buyers only, the sell side padded with zeros.
    message.data.depth = { buy: levels(2750.5), sell: levels(0) };
    for (const price of [2750.5, 2750.5, 2750.5]) {
      message.data.last_price = price;
      const decoded = expectSameAsJsonParse(Buffer.from(JSON.stringify(message)));
      expect(decoded.ok && decoded.value).toMatchObject({
        bestBid: 2750.5,
        bestAsk: null,
        hasDepth: true,
      });
    }
    const noSellers = Buffer.from(JSON.stringify(message));
    // The same tick with no depth at all: another shape, and no depth.
    delete message.data.depth;
    for (let k = 0; k < 3; k += 1) {
      message.data.last_price = 2750 + k;
      const decoded = expectSameAsJsonParse(Buffer.from(JSON.stringify(message)));
      expect(decoded.ok && decoded.value).toMatchObject({ bestAsk: null, hasDepth: false });
    }
    expect(tickScannerStats()).toEqual({ shapes: 2, walked: 2, matched: 4 });
    // Alternating between the two learnt shapes: each match says its own shape's depth.
    const noDepth = Buffer.from(JSON.stringify(message));
    for (const [raw, hasDepth] of [
      [noSellers, true],
      [noDepth, false],
      [noSellers, true],
      [noDepth, false],
    ] as const) {
      const decoded = expectSameAsJsonParse(raw);
      expect(decoded.ok && decoded.value.hasDepth).toBe(hasDepth);
    }
    expect(tickScannerStats()).toEqual({ shapes: 2, walked: 2, matched: 8 });
    // depth that is not an object, and depth emptied: shapes of their own, each as JSON.parse.
    for (const depth of [null, [], {}, { buy: [], sell: [] }, 0]) {
      resetTickScanner();
      message.data.depth = depth;
      for (let k = 0; k < 2; k += 1) {
        const decoded = expectSameAsJsonParse(Buffer.from(JSON.stringify(message)));
        const isObject = typeof depth === "object" && depth !== null && !Array.isArray(depth);
        expect(decoded.ok && decoded.value.hasDepth).toBe(isObject);
      }
      expect(tickScannerStats()).toEqual({ shapes: 1, walked: 1, matched: 1 });
    }
  });

  it("keeps four shapes, and makes room for a fifth seen often, forgetting the oldest", () => {
    const shaped = (k: number) => Buffer.from(compact().replace('"extra":', `"extra${k}":`));
    for (let k = 0; k < 4; k += 1) expectSameAsJsonParse(shaped(k));
    expect(tickScannerStats()).toEqual({ shapes: 4, walked: 4, matched: 0 });
    // With every slot taken, one accepted walk in 64 is learnt.
    for (let k = 0; k < 64; k += 1) expectSameAsJsonParse(shaped(4));
    expect(tickScannerStats()).toEqual({ shapes: 4, walked: 68, matched: 0 });
    for (let k = 4; k >= 1; k -= 1) expectSameAsJsonParse(shaped(k));
    expect(tickScannerStats()).toEqual({ shapes: 4, walked: 68, matched: 4 });
    // Shape 0 was matched longest ago: its slot went to shape 4.
    expectSameAsJsonParse(shaped(0));
    expect(tickScannerStats()).toEqual({ shapes: 4, walked: 69, matched: 4 });
  });

  it("walks a tick with more values than a shape can hold, every time, with the same answer", () => {
    const message = JSON.parse(EXAMPLE.toString("utf8"));
    message.data.extra = Array.from({ length: 5_000 }, (_, k) => k);
    const raw = Buffer.from(JSON.stringify(message));
    for (let k = 0; k < 3; k += 1) expect(expectSameAsJsonParse(raw).ok).toBe(true);
    expect(tickScannerStats()).toEqual({ shapes: 0, matched: 0, walked: 3 });
  });

  it.each([
    ...["01", "-01", "00", "1.", "-", "-.5", ".5", "1e", "1e+", "1.e5", "+1", "--1", "1..2", "0x1"],
    ...["1-", "1.2.3", "Infinity", "NaN", "1 2"],
    ...["0", "-0", "1e5", "1E-2", "-1.5e+3", "0.5", "2500.7500000000000000001", "1e999", "-1e999"],
    ...["123456789012345.6", "9007199254740993", "0.000000000000000000000000001", "5e-324"],
  ])("decides %s in a learnt tick's numbers as JSON.parse does", (spelling) => {
    const base = compact();
    learn(base);
    for (const field of ['"last_price":2500.75', '"price":2500.7', '"orders":3', '"version":1']) {
      const key = field.slice(0, field.indexOf(":") + 1);
      expectSameAsJsonParse(Buffer.from(base.replace(field, `${key}${spelling}`)));
    }
    expectSameAsJsonParse(Buffer.from(base.replace("[1,22,", `[${spelling},22,`)));
  });
});

describe("decodeMarketTick against the JSON.parse decoder", () => {
  beforeEach(() => resetTickScanner());

  it("decides every generated tick the same, as bytes and as text", () => {
    let scanned = 0;
    let runs = 0;
    fc.assert(
      fc.property(tick, style, fc.integer(), (json, layout, seed) => {
        const raw = serialize(json, layout, seed);
        runs += 1;
        if (scanMarketTick(Buffer.from(raw, "utf8")) !== null) scanned += 1;
        expectSameAsJsonParse(Buffer.from(raw, "utf8"));
        expectSameAsJsonParse(raw);
      }),
      { numRuns: 1_000 },
    );
    // The generators must reach the scanner's own paths, not only its fallback.
    expect(scanned / runs).toBeGreaterThan(0.2);
  }, 60_000);

  it("decides every mutated tick the same", () => {
    fc.assert(
      fc.property(
        tick,
        style,
        fc.integer(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (json, layout, seed, edits) => {
          const bytes = mutate(Buffer.from(serialize(json, layout, seed), "utf8"), edits);
          expectSameAsJsonParse(bytes);
        },
      ),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it("decides ticks of a learnt shape the same, their values changed or their bytes mutated", () => {
    let matched = 0;
    fc.assert(
      fc.property(
        tick,
        fc.constantFrom<Style>("compact", "python"),
        fc.array(fc.tuple(fc.integer(), fc.oneof(fc.constant(null), fc.constant(null), mutation)), {
          minLength: 2,
          maxLength: 12,
        }),
        (json, layout, variants) => {
          resetTickScanner();
          const base = Buffer.from(serialize(json, layout, 0), "utf8");
          // Shapes are learnt from accepted ticks only.
          fc.pre(decodeMarketTickParsed(base).ok);
          expectSameAsJsonParse(base);
          for (const [seed, edit] of variants) {
            const changed = Buffer.from(serialize(revalue(json, seed), layout, 0), "utf8");
            expectSameAsJsonParse(edit ? mutate(changed, [edit]) : changed);
          }
          matched += tickScannerStats().matched;
        },
      ),
      { numRuns: 300 },
    );
    // Enough of them must reach the shape path rather than the full walk.
    expect(matched).toBeGreaterThan(400);
  }, 60_000);
});

/**
 * The same document with other values: strings and numbers replaced, keys and layout kept; now
 * and then a value of another kind, which no longer fits the shape.
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T/;

function revalue(json: Json, seed: number): Json {
  const random = seededRandom(seed);
  const pick = <T>(choices: readonly T[]) => choices[Math.floor(random() * choices.length)] as T;
  const numbers = ["0", "-0", "1", "42", "738561", "2500.75", "0.05", "-3.5", "1e3", "1e999"];
  const numberLike = () =>
    random() < 0.5 ? String(Math.floor(random() * 1e9)) : (random() * 1e4).toFixed(2);
  const strings = ["", "market_tick", "2026-11-23T03:59:59Z", 'a"b', "a\\b", "x/y", "\n"];
  const walk = (value: Json): Json => {
    if (random() < 0.0005) {
      return pick<Json>([num("7"), str("7"), str("é"), { kind: "literal", text: "null" }]);
    }
    switch (value.kind) {
      case "object":
        return obj(value.members.map(([name, item]) => [name, walk(item)]));
      case "array":
        return arr(value.items.map(walk));
      case "number":
        return num(random() < 0.7 ? numberLike() : pick(numbers));
      case "string":
        // The type is part of a shape: changing it is a new shape, now and then.
        if (random() < (value.value === "market_tick" ? 0.95 : 0.4)) return value;
        // A timestamp mostly stays one (another instant, another spelling), as in a feed.
        if (ISO_INSTANT.test(value.value) && random() < 0.9) {
          const instant = new Date(Math.floor(random() * 4e12)).toISOString();
          return str(random() < 0.5 ? instant : instant.replace("Z", "+05:30"));
        }
        return str(random() < 0.9 ? random().toString(36).slice(2) : pick(strings));
      default:
        return value;
    }
  };
  return walk(json);
}
