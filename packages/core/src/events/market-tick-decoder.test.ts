import { readFileSync } from "node:fs";
import { resetTickScanner, tickScannerStats } from "@engine/tick-codec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventDecodeError } from "./decode.js";
import { MarketTickEventSchema } from "./envelope.js";
import { decodeMarketTick, decodeMarketTickParsed } from "./market-tick-decoder.js";

const REMOVE = Symbol("remove");

/** Sets (or, with REMOVE, deletes) the field at a dotted path of a JSON object. */
function withField<T extends object>(value: T, path: string, fieldValue: unknown): T {
  const keys = path.split(".");
  const last = keys.pop() as string;
  let target = value as Record<string, unknown>;
  for (const key of keys) target = target[key] as Record<string, unknown>;
  if (fieldValue === REMOVE) delete target[last];
  else target[last] = fieldValue;
  return value;
}

const REPO_ROOT = new URL("../../../../", import.meta.url);
const EXAMPLE = new URL("../shared/contract/examples/market_tick.json", REPO_ROOT);
const exampleBytes = readFileSync(EXAMPLE);

// biome-ignore lint/suspicious/noExplicitAny: test fixtures are mutated freely by path
function tick(): any {
  return JSON.parse(exampleBytes.toString("utf8"));
}

function expectRejected(raw: string | Uint8Array, field: string): EventDecodeError {
  const result = decodeMarketTick(raw);
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error("unreachable");
  expect(result.error).toBeInstanceOf(EventDecodeError);
  expect(result.error.issues.map((issue) => issue.path)).toEqual([field]);
  if (field !== "") expect(result.error.message).toContain(field);
  return result.error;
}

describe("decodeMarketTick", () => {
  it("reads token, price, best bid, best ask and timestamp from the contract example", () => {
    expect(decodeMarketTick(exampleBytes)).toEqual({
      ok: true,
      value: {
        instrumentToken: 738561,
        lastPrice: 2500.75,
        bestBid: 2500.7,
        bestAsk: 2500.8,
        hasDepth: true,
        timestamp: "2026-11-23T03:59:59.880000+00:00",
      },
    });
  });

  it("reads the best bid and ask from the first of five depth levels", () => {
    const message = tick();
    message.data.depth = {
      buy: [2500.7, 2500.6, 2500.5, 2500.4, 2500.3].map((price) => ({
        price,
        quantity: 1,
        orders: 1,
      })),
      sell: [2500.8, 2500.9, 2501, 2501.1, 2501.2].map((price) => ({
        price,
        quantity: 1,
        orders: 1,
      })),
    };
    const result = decodeMarketTick(JSON.stringify(message));
    expect(result.ok && [result.value.bestBid, result.value.bestAsk]).toEqual([2500.7, 2500.8]);
  });

  it("tolerates unknown fields in the envelope and the payload", () => {
    const message = tick();
    message.partition = 3;
    message.data.oi = 1200;
    message.data.exchange_timestamp = "2026-11-23T03:59:59+00:00";
    message.data.ohlc.vwap = { nested: [1, 2, 3] };
    const result = decodeMarketTick(JSON.stringify(message));
    expect(result.ok && result.value.lastPrice).toBe(2500.75);
  });

  it.each([
    ["zero-padded on the sell side (an upper circuit)", { sell: [{ price: 0 }], buy: [] }, true],
    ["empty", { buy: [], sell: [] }, true],
    ["an object without sides", {}, true],
    ["null", null, false],
    ["an array", [], false],
    ["absent", undefined, false],
  ])("says whether the tick carried depth when depth is %s", (_label, depth, hasDepth) => {
    const message = tick();
    message.data.depth = depth;
    const result = decodeMarketTick(JSON.stringify(message));
    expect(result.ok && result.value).toMatchObject({ bestAsk: null, hasDepth });
    const reference = decodeMarketTickParsed(JSON.stringify(message));
    expect(reference.ok && reference.value.hasDepth).toBe(hasDepth);
  });

  it.each([
    [
      "zero-padded",
      { buy: [{ price: 0, quantity: 0, orders: 0 }], sell: [{ price: 0, quantity: 0, orders: 0 }] },
    ],
    ["empty", { buy: [], sell: [] }],
    ["malformed", { buy: "none", sell: [{ quantity: 3 }] }],
    ["null", null],
    ["absent", undefined],
  ])("gives a null bid and ask when depth is %s", (_label, depth) => {
    const message = tick();
    message.data.depth = depth;
    const result = decodeMarketTick(JSON.stringify(message));
    expect(result.ok && [result.value.bestBid, result.value.bestAsk]).toEqual([null, null]);
  });

  it("gives a null timestamp when the tick has none", () => {
    const message = tick();
    delete message.data.timestamp;
    const result = decodeMarketTick(JSON.stringify(message));
    expect(result.ok && result.value.timestamp).toBeNull();
  });

  /** [what is wrong, the field (dotted path), its new value; REMOVE deletes it] */
  const badTicks: [string, string, unknown][] = [
    ["another event type", "type", "order_filled"],
    ["a missing type", "type", REMOVE],
    ["a missing payload", "data", REMOVE],
    ["a payload that is not an object", "data", "738561"],
    ["a missing token", "data.instrument_token", REMOVE],
    ["a token of the wrong type", "data.instrument_token", "738561"],
    ["a non-integer token", "data.instrument_token", 738561.5],
    ["a zero token", "data.instrument_token", 0],
    ["a token beyond 2^53", "data.instrument_token", 2 ** 60],
    ["a missing price", "data.last_price", REMOVE],
    ["a price of the wrong type", "data.last_price", "2500.75"],
    ["a null price", "data.last_price", null],
  ];

  it.each(badTicks)("rejects %s, naming the field %s", (_label, field, value) => {
    expectRejected(JSON.stringify(withField(tick(), field, value)), field);
  });

  it("rejects a non-finite price, naming the field", () => {
    // JSON.parse reads an overflowing literal as Infinity.
    const raw = exampleBytes
      .toString("utf8")
      .replace('"last_price": 2500.75', '"last_price": 1e999');
    expect(raw).toContain("1e999");
    expectRejected(raw, "data.last_price");
  });

  it.each([
    ["invalid JSON", "{not json"],
    ["JSON null", "null"],
    ["a JSON number", "738561"],
  ])("rejects %s as a whole", (_label, raw) => {
    expectRejected(raw, "");
  });

  it("rejects bytes that are not UTF-8", () => {
    const bytes = Buffer.concat([
      exampleBytes.subarray(0, 20),
      Buffer.from([0xff]),
      exampleBytes.subarray(20),
    ]);
    expect(expectRejected(bytes, "").message).toMatch(/utf-8/i);
  });
});

/** Keys the generators must not overwrite with random extra fields. */
const ENVELOPE_KEYS = new Set([
  "id",
  "type",
  "ts",
  "key",
  "source",
  "broker",
  "version",
  "correlation_id",
  "causation_id",
  "trace_id",
  "parent_trace_id",
  "data",
  "__proto__",
]);
const PAYLOAD_KEYS = new Set(["instrument_token", "last_price", "timestamp", "depth", "__proto__"]);

const extraFields = (reserved: Set<string>) =>
  fc.dictionary(
    fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !reserved.has(key)),
    fc.jsonValue({ maxDepth: 3 }),
    { maxKeys: 8 },
  );

const depthSide = fc.array(
  fc.record({
    price: fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 1e6, noNaN: true })),
    quantity: fc.nat(),
    orders: fc.nat(),
  }),
  { maxLength: 5 },
);

const isoTimestamp = fc
  .date({
    min: new Date("2000-01-01T00:00:00Z"),
    max: new Date("2099-12-31T23:59:59Z"),
    noInvalidDate: true,
  })
  .map((date) => date.toISOString());

function envelope(data: Record<string, unknown>, extra: Record<string, unknown>) {
  return {
    ...extra,
    id: "0193a2c4-7a00-7000-8000-000000000001",
    type: "market_tick",
    ts: "2026-11-23T03:59:59.900000+00:00",
    key: String(data.instrument_token),
    source: "market_feed",
    broker: "shared",
    version: 1,
    correlation_id: "0193a2c4-7a00-7000-8000-000000000001",
    causation_id: null,
    trace_id: "0193a2c4-7a00-7000-8000-0000000000aa",
    parent_trace_id: null,
    data,
  };
}

const validTick = fc
  .record({
    token: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    price: fc.double({ noNaN: true, noDefaultInfinity: true }),
    timestamp: isoTimestamp,
    depth: fc.option(fc.record({ buy: depthSide, sell: depthSide }), { nil: undefined }),
    payloadExtra: extraFields(PAYLOAD_KEYS),
    envelopeExtra: extraFields(ENVELOPE_KEYS),
  })
  .map(({ token, price, timestamp, depth, payloadExtra, envelopeExtra }) =>
    envelope(
      { ...payloadExtra, instrument_token: token, last_price: price, timestamp, depth },
      envelopeExtra,
    ),
  );

describe("decodeMarketTick against MarketTickEventSchema", () => {
  it("agrees with the schema on token and price for any valid tick", () => {
    fc.assert(
      fc.property(validTick, (message) => {
        const raw = JSON.stringify(message);
        const decoded = decodeMarketTick(Buffer.from(raw, "utf8"));
        const parsed = MarketTickEventSchema.safeParse(JSON.parse(raw));
        expect(parsed.success).toBe(true);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok || !parsed.success) return;
        expect(decoded.value.instrumentToken).toBe(parsed.data.data.instrument_token);
        expect(decoded.value.lastPrice).toBe(parsed.data.data.last_price);
        expect(decoded.value.timestamp).toBe(parsed.data.data.timestamp);
      }),
      { numRuns: 300 },
    );
  });

  it("reports the top of each depth side, zero meaning no quote", () => {
    fc.assert(
      fc.property(validTick, (message) => {
        const decoded = decodeMarketTick(JSON.stringify(message));
        if (!decoded.ok) throw decoded.error;
        const top = (levels: { price: number }[] | undefined) => {
          const price = levels?.[0]?.price;
          return price !== undefined && price > 0 ? price : null;
        };
        const depth = message.data.depth as
          | { buy: { price: number }[]; sell: { price: number }[] }
          | undefined;
        expect(decoded.value.bestBid).toBe(top(depth?.buy));
        expect(decoded.value.bestAsk).toBe(top(depth?.sell));
      }),
      { numRuns: 200 },
    );
  });

  it("accepts exactly the token and price values the schema accepts", () => {
    const anyValue = fc.oneof(
      fc.integer(),
      fc
        .integer({ min: Number.MAX_SAFE_INTEGER - 5, max: Number.MAX_SAFE_INTEGER })
        .map((n) => n + 10),
      fc.double(),
      fc.constantFrom(0, -0, 1, 1.5, 2 ** 53, 2 ** 53 + 2, 1e21, -1),
      fc.string({ maxLength: 6 }),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.integer(), { maxLength: 2 }),
    );
    fc.assert(
      fc.property(anyValue, anyValue, (token, price) => {
        const raw = JSON.stringify(
          envelope(
            { instrument_token: token, last_price: price, timestamp: "2026-11-23T03:59:59Z" },
            {},
          ),
        );
        const decoded = decodeMarketTick(raw);
        const parsed = MarketTickEventSchema.safeParse(JSON.parse(raw));
        expect(decoded.ok, raw).toBe(parsed.success);
        if (decoded.ok && parsed.success) {
          expect(decoded.value.instrumentToken).toBe(parsed.data.data.instrument_token);
          expect(decoded.value.lastPrice).toBe(parsed.data.data.last_price);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("decodeMarketTick on the timestamp", () => {
  /** The example with another timestamp value; REMOVE deletes it. */
  const stamped = (value: unknown) => JSON.stringify(withField(tick(), "data.timestamp", value));
  const schemaAccepts = (raw: string) => MarketTickEventSchema.safeParse(JSON.parse(raw)).success;

  const rejected: [string, unknown][] = [
    ["no offset, milliseconds", "2026-11-23T09:15:00.123"],
    ["no offset, at the length of the learnt timestamp", "2026-11-23T09:15:00.1234"],
    ["no offset, microseconds", "2026-11-23T03:59:59.880000"],
    ["no offset, whole seconds", "2026-11-23T09:15:00"],
    ["no offset, no seconds", "2026-11-23T09:15"],
    ["an offset but no seconds", "2026-11-23T09:15+05:30"],
    ["a date only", "2026-11-23"],
    ["a space for the T", "2026-11-23 09:15:00Z"],
    ["a lowercase z", "2026-11-23T09:15:00z"],
    ["an offset without a colon", "2026-11-23T09:15:00+0530"],
    ["an offset of hours only", "2026-11-23T09:15:00+05"],
    ["an offset of 24 hours", "2026-11-23T09:15:00+24:00"],
    ["a point without digits", "2026-11-23T09:15:00.Z"],
    ["month 13", "2026-13-23T09:15:00Z"],
    ["30 February", "2026-02-30T09:15:00Z"],
    ["29 February in 2026", "2026-02-29T09:15:00Z"],
    ["29 February in 2100", "2100-02-29T09:15:00Z"],
    ["31 April", "2026-04-31T09:15:00Z"],
    ["hour 24", "2026-11-23T24:00:00Z"],
    ["second 60", "2026-11-23T09:15:60Z"],
    ["an empty string", ""],
    ["a number", 1763870400],
    ["null", null],
    ["true", true],
    ["an object", { at: "2026-11-23T09:15:00Z" }],
  ];

  it.each(rejected)("rejects %s, as the schema does, naming data.timestamp", (_label, value) => {
    const raw = stamped(value);
    expect(schemaAccepts(raw)).toBe(false);
    resetTickScanner();
    expectRejected(raw, "data.timestamp");
  });

  it.each(rejected)(
    "rejects %s in the shape of a valid tick decoded before it",
    (_label, value) => {
      resetTickScanner();
      expect(decodeMarketTick(stamped("2026-11-23T09:15:00.123Z")).ok).toBe(true);
      expect(decodeMarketTick(stamped("2026-11-23T09:15:00.456+05:30")).ok).toBe(true);
      const before = tickScannerStats();
      expectRejected(stamped(value), "data.timestamp");
      // The learnt shape refuses it (a string where it reads the timestamp, or another shape), the
      // walk too, and the decoder rejects it.
      expect(tickScannerStats()).toEqual({ ...before, walked: before.walked + 1 });
      // And the shape still reads the next valid tick.
      expect(decodeMarketTick(stamped("2026-11-23T09:15:00.789Z")).ok).toBe(true);
    },
  );

  it.each([
    ["Z", "2026-11-23T09:15:00Z"],
    ["an IST offset", "2026-11-23T09:15:00.123+05:30"],
    ["a negative offset", "2026-11-23T09:15:00-04:00"],
    ["nanoseconds", "2026-11-23T09:15:00.123456789+00:00"],
    ["29 February in 2024", "2024-02-29T09:15:00Z"],
    ["29 February in 2000", "2000-02-29T09:15:00Z"],
    ["year 0000", "0000-01-01T00:00:00Z"],
    ["the last second of a year", "9999-12-31T23:59:59.999999+23:59"],
  ])("accepts a timestamp with %s, as the schema does", (_label, value) => {
    const raw = stamped(value);
    expect(schemaAccepts(raw)).toBe(true);
    for (let k = 0; k < 3; k += 1) {
      const decoded = decodeMarketTick(raw);
      expect(decoded.ok && decoded.value.timestamp).toBe(value);
    }
  });

  const oneChar = fc.oneof(
    fc.constantFrom(..."0123456789-:.TZ+tz ".split("")),
    fc.string({ minLength: 1, maxLength: 1 }),
  );
  /** Timestamps near the valid ones: every field over its whole range and a little beyond. */
  const pad = (width: number) => (n: number) => String(n).padStart(width, "0");
  const timestampLike = fc.oneof(
    fc
      .tuple(
        fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1900, 2000, 2024, 2100)),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 61 }),
        fc.oneof(fc.constant(""), fc.stringMatching(/^\.\d{0,10}$/)),
        fc.oneof(
          fc.constantFrom("Z", "z", "", "+05:30", "-00:00", "+0530", "+05", "UTC", "Z "),
          fc
            .tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 25 }), fc.nat(61))
            .map(([sign, h, m]) => `${sign}${pad(2)(h)}:${pad(2)(m)}`),
        ),
        fc.constantFrom("T", "T", "T", " ", "t"),
      )
      .map(
        ([y, mo, d, h, mi, s, fraction, offset, t]) =>
          `${pad(4)(y)}-${pad(2)(mo)}-${pad(2)(d)}${t}${pad(2)(h)}:${pad(2)(mi)}:${pad(2)(s)}` +
          `${fraction}${offset}`,
      ),
    // A valid timestamp with one character replaced, inserted or removed.
    fc
      .tuple(isoTimestamp, fc.nat(), fc.constantFrom("replace", "insert", "remove"), oneChar)
      .map(([stamp, at, edit, char]) => {
        const k = at % (stamp.length + 1);
        if (edit === "remove") return stamp.slice(0, k) + stamp.slice(k + 1);
        return stamp.slice(0, k) + char + stamp.slice(edit === "replace" ? k + 1 : k);
      }),
    fc.string({ maxLength: 40 }),
  );

  it("accepts exactly the timestamps the schema accepts, first seen or in a learnt shape", () => {
    fc.assert(
      fc.property(timestampLike, fc.boolean(), (value, learnt) => {
        resetTickScanner();
        if (learnt) expect(decodeMarketTick(stamped("2026-11-23T09:15:00.123Z")).ok).toBe(true);
        const raw = stamped(value);
        const decoded = decodeMarketTick(Buffer.from(raw, "utf8"));
        expect(decoded.ok, raw).toBe(schemaAccepts(raw));
        if (decoded.ok) expect(decoded.value.timestamp).toBe(value);
        else expect(decoded.error.issues.map((issue) => issue.path)).toEqual(["data.timestamp"]);
      }),
      { numRuns: 3_000 },
    );
  });
});
