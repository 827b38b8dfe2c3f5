import { type MarketQuote, scanMarketTick } from "@engine/tick-codec";
import { type DecodeResult, EventDecodeError, parseJson } from "./decode.js";
import { TimestampSchema } from "./payloads.js";

export type { MarketQuote } from "@engine/tick-codec";

const encoder = new TextEncoder();

/**
 * Decodes a `market_tick` envelope reading only the fields the engine uses.
 *
 * Ticks are by far the most frequent message, so this skips schema validation of everything else
 * the feed sends (OHLC, five depth levels, open interest...): those fields are tolerated, never
 * materialised. What it does read (token, price, timestamp) is checked as strictly as
 * `MarketTickSchema` checks it: a tick the schema rejects for one of those fields is rejected here
 * too, naming the field.
 *
 * A well-formed tick is read by the byte scanner (`scanMarketTick`) straight from the bytes, without building
 * the JSON tree; anything the scanner is not certain of (a rejection, malformed JSON, non-ASCII
 * text, escapes where it reads) is decoded with `JSON.parse` as before, so both paths give the same
 * answer for every input.
 */
export function decodeMarketTick(raw: string | Uint8Array): DecodeResult<MarketQuote> {
  const quote = scanMarketTick(typeof raw === "string" ? encoder.encode(raw) : raw);
  if (quote !== null) return { ok: true, value: quote };
  return decodeMarketTickParsed(raw);
}

/**
 * The reference decoder: `JSON.parse`, then the checks. Exported for the differential tests and
 * the benchmark; the engine calls {@link decodeMarketTick}.
 */
export function decodeMarketTickParsed(raw: string | Uint8Array): DecodeResult<MarketQuote> {
  const json = parseJson(raw);
  if (!json.ok) return json;
  const envelope = json.value as { type?: unknown; data?: unknown } | null;
  if (typeof envelope !== "object" || envelope === null) {
    return invalid("", "expected a JSON object");
  }
  if (envelope.type !== "market_tick") {
    return invalid("type", `expected "market_tick", got ${JSON.stringify(envelope.type)}`);
  }
  const data = envelope.data as Record<string, unknown> | null | undefined;
  if (typeof data !== "object" || data === null) return invalid("data", "expected an object");
  return quoteOf(data);
}

/** The checks of MarketTickSchema on `data`, and the quote it gives. */
function quoteOf(data: Record<string, unknown>): DecodeResult<MarketQuote> {
  const token = data.instrument_token;
  // Safe integers only, as zod's `.int()` in MarketTickSchema: a token beyond 2^53 is not exact.
  if (typeof token !== "number" || !Number.isSafeInteger(token) || token <= 0) {
    return invalid("data.instrument_token", "expected a positive integer");
  }
  const lastPrice = data.last_price;
  if (typeof lastPrice !== "number" || !Number.isFinite(lastPrice)) {
    return invalid("data.last_price", "expected a finite number");
  }
  const timestamp = data.timestamp;
  // As MarketTickSchema: absent is fine, anything else must be a timestamp with an offset.
  if (timestamp !== undefined && !TimestampSchema.safeParse(timestamp).success) {
    return invalid("data.timestamp", "expected an ISO-8601 timestamp with an offset (Z or +05:30)");
  }
  const depth = data.depth as { buy?: unknown; sell?: unknown } | null | undefined;
  return {
    ok: true,
    value: {
      instrumentToken: token,
      lastPrice,
      bestBid: depth ? topPrice(depth.buy) : null,
      bestAsk: depth ? topPrice(depth.sell) : null,
      hasDepth: typeof depth === "object" && depth !== null && !Array.isArray(depth),
      timestamp: timestamp === undefined ? null : (timestamp as string),
    },
  };
}

/** Price of the first depth level, or null when the side is empty or malformed. */
function topPrice(levels: unknown): number | null {
  if (!Array.isArray(levels)) return null;
  const price = (levels[0] as { price?: unknown } | undefined)?.price;
  // The feed pads empty depth levels with zeros; a zero is no quote.
  return typeof price === "number" && Number.isFinite(price) && price > 0 ? price : null;
}

function invalid(path: string, message: string): { ok: false; error: EventDecodeError } {
  return { ok: false, error: new EventDecodeError([{ path, message }]) };
}
