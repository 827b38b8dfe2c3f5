import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventDecodeError } from "./decode.js";
import { MarketTickEventSchema } from "./envelope.js";
import { decodeMarketTick } from "./market-tick-decoder.js";

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
