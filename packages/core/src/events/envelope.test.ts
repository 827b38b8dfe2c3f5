import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { decodeEvent, EventDecodeError, encodeEvent, parseJson, toText } from "./decode.js";
import {
  childEnvelope,
  ENGINE_SOURCE,
  ENVELOPE_VERSION,
  EngineEventSchema,
  EnvelopeSchema,
  MarketTickEventSchema,
  OrderFailedEventSchema,
  OrderFilledEventSchema,
  OrderPlacedEventSchema,
  ValidatedSignalEventSchema,
} from "./envelope.js";
import { newEventId } from "./event-id.js";

/**
 * The contract lives beside the repository (`<clone>/../shared`), and the repository root is
 * four levels above this file's folder (packages/core/src/events).
 */
const REPO_ROOT = new URL("../../../../", import.meta.url);
const EXAMPLES_DIR = new URL("../shared/contract/examples/", REPO_ROOT);

const SCHEMA_BY_TYPE: Record<string, z.ZodType> = {
  market_tick: MarketTickEventSchema,
  validated_signal: ValidatedSignalEventSchema,
  order_placed: OrderPlacedEventSchema,
  order_filled: OrderFilledEventSchema,
  order_failed: OrderFailedEventSchema,
};

function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort();
}

function readExample(name: string): { bytes: Buffer; json: Record<string, unknown> } {
  const bytes = readFileSync(new URL(name, EXAMPLES_DIR));
  return { bytes, json: JSON.parse(bytes.toString("utf8")) };
}

/** A deep copy of an example, to mutate. */
// biome-ignore lint/suspicious/noExplicitAny: test fixtures are mutated freely by path
function example(name: string): any {
  return structuredClone(readExample(name).json);
}

/** Marks a field to delete in `withField`. */
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

function decodeSignal(value: unknown) {
  return decodeEvent(ValidatedSignalEventSchema, JSON.stringify(value));
}

function expectRejected(
  result: ReturnType<typeof decodeSignal>,
  ...fields: string[]
): EventDecodeError {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error("unreachable");
  expect(result.error).toBeInstanceOf(EventDecodeError);
  expect(result.error.code).toBe("EVENT_DECODE_FAILED");
  for (const field of fields) {
    expect(result.error.message).toContain(field);
    expect(result.error.issues.map((issue) => issue.path)).toContain(field);
  }
  return result.error;
}

describe("contract examples", () => {
  it("are found beside the repository", () => {
    expect(fileURLToPath(EXAMPLES_DIR)).toMatch(/[\\/]shared[\\/]contract[\\/]examples[\\/]$/);
    expect(existsSync(EXAMPLES_DIR)).toBe(true);
    expect(exampleFiles()).toEqual(
      expect.arrayContaining([
        "market_tick.json",
        "order_failed.json",
        "order_filled.json",
        "validated_signal.json",
      ]),
    );
  });

  describe.each(exampleFiles())("%s", (name) => {
    const { bytes, json } = readExample(name);
    const schema = SCHEMA_BY_TYPE[String(json.type)];

    it("has an envelope schema for its type", () => {
      expect(schema, `no schema for type ${String(json.type)}`).toBeDefined();
    });

    it("parses from bytes with its envelope schema", () => {
      const result = decodeEvent(schema ?? EnvelopeSchema, bytes);
      expect(result.ok ? [] : result.error.issues).toEqual([]);
    });

    it("parses with the generic envelope and the event union", () => {
      expect(EnvelopeSchema.safeParse(json).success).toBe(true);
      expect(EngineEventSchema.safeParse(json).success).toBe(true);
    });

    it("round-trips: encoding the parsed event gives back the original JSON", () => {
      const result = decodeEvent(schema ?? EnvelopeSchema, bytes.toString("utf8"));
      if (!result.ok) throw result.error;
      expect(JSON.parse(encodeEvent(result.value as object))).toEqual(json);
    });
  });
});

describe("envelope decoding", () => {
  it.each([
    ["+00:00 offsets", "+00:00"],
    ["Z", "Z"],
    ["+05:30 offsets", "+05:30"],
  ])("accepts timestamps written with %s", (_label, suffix) => {
    const event = example("validated_signal.json");
    event.ts = `2026-11-23T04:00:00.412${suffix}`;
    event.data.timestamp = `2026-11-23T04:00:00${suffix}`;
    event.data.original_signal.timestamp = `2026-11-23T04:00:00.100000${suffix}`;
    const result = decodeSignal(event);
    expect(result.ok).toBe(true);
    // Timestamps are kept as written.
    if (result.ok) expect(result.value.ts).toBe(event.ts);
  });

  it("tolerates unknown extra fields in the envelope and every payload level", () => {
    const event = example("validated_signal.json");
    event.partition_hint = 7;
    event.data.risk_score = { total: 0.2 };
    event.data.original_signal.extra_note = "from a newer strategy runner";
    const result = decodeSignal(event);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.data.original_signal.quantity).toBe(10);
  });

  it("keeps unknown market tick fields, which the tick payload passes through", () => {
    const tick = example("market_tick.json");
    tick.data.oi = 1200;
    const result = decodeEvent(MarketTickEventSchema, JSON.stringify(tick));
    expect(result.ok && result.value.data.oi).toBe(1200);
  });

  it("defaults absent lineage fields to null", () => {
    const event = example("validated_signal.json");
    delete event.causation_id;
    delete event.parent_trace_id;
    const result = decodeSignal(event);
    expect(result.ok && [result.value.causation_id, result.value.parent_trace_id]).toEqual([
      null,
      null,
    ]);
  });

  /** [what is wrong, the field (dotted path), its new value; REMOVE deletes it] */
  const badInputs: [string, string, unknown][] = [
    ["a missing payload field", "data.original_signal.strategy_id", REMOVE],
    ["a missing envelope field", "correlation_id", REMOVE],
    ["a missing payload", "data", REMOVE],
    ["a quantity of the wrong type", "data.original_signal.quantity", "10"],
    ["a price of the wrong type", "data.validated_price", "2501.5"],
    ["a risk check of the wrong type", "data.risk_checks.max_position", "yes"],
    ["a version of the wrong type", "version", "1"],
    ["a non-integer instrument token", "data.original_signal.instrument_token", 738561.5],
    ["a negative instrument token", "data.original_signal.instrument_token", -1],
    ["a quantity of 0", "data.original_signal.quantity", 0],
    ["a fractional quantity", "data.original_signal.quantity", 1.5],
    ["a negative validated quantity", "data.validated_quantity", -10],
    ["a bad signal_type", "data.original_signal.signal_type", "SHORT"],
    ["a lowercase signal_type", "data.original_signal.signal_type", "buy"],
    ["a timestamp without an offset", "data.original_signal.timestamp", "2026-11-23T04:00:00.1"],
    ["a timestamp with a space", "data.timestamp", "2026-11-23 04:00:00+00:00"],
    ["an envelope ts that is not a date", "ts", "yesterday"],
    ["an envelope ts as epoch millis", "ts", 1795585200000],
    ["another event type", "type", "order_filled"],
  ];

  it.each(badInputs)("rejects %s, naming the field %s", (_label, field, value) => {
    expectRejected(decodeSignal(withField(example("validated_signal.json"), field, value)), field);
  });

  it("names every bad field at once", () => {
    const event = example("validated_signal.json");
    event.data.original_signal.quantity = 0;
    event.data.original_signal.signal_type = "SHORT";
    delete event.trace_id;
    expectRejected(
      decodeSignal(event),
      "data.original_signal.quantity",
      "data.original_signal.signal_type",
      "trace_id",
    );
  });

  it.each([
    ["truncated JSON", '{"id": "x", "type": "validated_signal"'],
    ["an empty message", ""],
    ["plain text", "not json at all"],
  ])("rejects %s as invalid JSON", (_label, raw) => {
    const result = decodeEvent(ValidatedSignalEventSchema, raw);
    const error = expectRejected(result);
    expect(error.message).toContain("not valid JSON");
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe("");
  });

  it("rejects JSON that is not an object, naming the whole value", () => {
    const error = expectRejected(decodeEvent(ValidatedSignalEventSchema, "[1, 2]"));
    expect(error.issues[0]?.path).toBe("");
  });

  it("rejects bytes that are not UTF-8, even when the rest is valid JSON", () => {
    const valid = Buffer.from(JSON.stringify(example("validated_signal.json")), "utf8");
    const marker = valid.indexOf("momentum_nifty_1");
    const bytes = Buffer.concat([
      valid.subarray(0, marker),
      Buffer.from([0xff, 0xfe]),
      valid.subarray(marker),
    ]);
    // The same bytes decoded leniently would parse: only the encoding is wrong.
    expect(() => JSON.parse(bytes.toString("utf8"))).not.toThrow();
    const error = expectRejected(decodeEvent(ValidatedSignalEventSchema, bytes));
    expect(error.message).toMatch(/utf-8/i);
    expect(() => toText(bytes)).toThrow(TypeError);
  });

  it("never throws, whatever the input", () => {
    for (const raw of ["", "null", "42", '"text"', "{}", new Uint8Array([0xc3, 0x28])]) {
      expect(() => decodeEvent(ValidatedSignalEventSchema, raw)).not.toThrow();
      expect(decodeEvent(ValidatedSignalEventSchema, raw).ok).toBe(false);
    }
  });

  it("parses JSON bytes and text alike", () => {
    expect(parseJson(Buffer.from('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
  });
});

describe("childEnvelope", () => {
  const parent = (() => {
    const result = decodeSignal(example("validated_signal.json"));
    if (!result.ok) throw result.error;
    return result.value;
  })();

  it("inherits the flow's correlation and trace ids and points back at the parent", () => {
    const child = childEnvelope(parent, {
      id: "child-1",
      type: "order_failed",
      ts: "2026-11-23T04:00:00.420000+00:00",
      key: "momentum_nifty_1:738561",
      broker: "zerodha",
      data: { anything: true },
    });
    expect(child).toEqual({
      id: "child-1",
      type: "order_failed",
      ts: "2026-11-23T04:00:00.420000+00:00",
      key: "momentum_nifty_1:738561",
      source: ENGINE_SOURCE,
      broker: "zerodha",
      version: ENVELOPE_VERSION,
      correlation_id: parent.correlation_id,
      causation_id: parent.id,
      trace_id: parent.trace_id,
      parent_trace_id: parent.id,
      data: { anything: true },
    });
    expect(child.source).toBe("trading_engine");
    expect(child.version).toBe(1);
    // The parent's own causation is not copied: the child's cause is the parent itself.
    expect(child.causation_id).not.toBe(parent.causation_id);
  });

  it("rebuilds the contract's order_filled example from the validated_signal example", () => {
    const filled = example("order_filled.json");
    const child = childEnvelope(parent, {
      id: filled.id,
      type: "order_filled",
      ts: filled.ts,
      key: filled.key,
      broker: filled.broker,
      data: filled.data,
    });
    expect(JSON.parse(encodeEvent(child))).toEqual(filled);
    expect(OrderFilledEventSchema.safeParse(child).success).toBe(true);
  });
});

describe("newEventId", () => {
  it("makes distinct UUID v7 ids that sort by creation time", () => {
    const ids = Array.from({ length: 200 }, () => newEventId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});
