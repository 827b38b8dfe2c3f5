// Tick decoding throughput, in process. Run after `pnpm --filter @engine/core build`:
//   node --expose-gc bench/tick-decode.bench.mjs
// Compares the engine's path (decodeMarketTick + price cache update) with a full zod parse of the
// envelope and with bare JSON.parse. Every path decodes the same bytes with the same strict UTF-8
// decoder (`toText`), so the ratios compare parsing and validation only.

import { performance } from "node:perf_hooks";
// The JSON.parse decoder the scanner falls back to (not public API: the package's internals).
import { decodeMarketTickParsed } from "../dist/events/market-tick-decoder.js";
import { scanMarketTick } from "../dist/events/tick-scanner.js";
import { decodeMarketTick, MarketTickEventSchema, toText } from "../dist/index.js";

const INSTRUMENTS = 2_000;
const WARMUP_MS = 500;
const RUN_MS = 2_000;
/** How many ticks between clock reads, so reading the clock does not dominate. */
const BATCH = 1_000;

/** A deterministic pseudo-random generator, so every run decodes the same messages. */
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(42);
const round = (value, step = 0.05) => Number((Math.round(value / step) * step).toFixed(2));
const hex = (length) =>
  Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join("");
const uuid7 = () => `0193a2c4-${hex(4)}-7${hex(3)}-8${hex(3)}-${hex(12)}`;

/** A full-mode tick as the market feed writes it: OHLC, five depth levels a side, OI. */
function fullModeTick(token, index) {
  const last = round(100 + random() * 4900);
  const ts = new Date(Date.UTC(2026, 10, 23, 3, 59, 59) + index).toISOString();
  const level = (side, i) => ({
    price: round(side === "buy" ? last - 0.05 * (i + 1) : last + 0.05 * (i + 1)),
    quantity: 1 + Math.floor(random() * 5000),
    orders: 1 + Math.floor(random() * 40),
  });
  const id = uuid7();
  return {
    id,
    type: "market_tick",
    ts: ts.replace("Z", "+00:00"),
    key: String(token),
    source: "market_feed",
    broker: "shared",
    version: 1,
    correlation_id: id,
    causation_id: null,
    trace_id: uuid7(),
    parent_trace_id: null,
    data: {
      instrument_token: token,
      last_price: last,
      timestamp: ts,
      volume_traded: Math.floor(random() * 5e6),
      last_traded_quantity: 1 + Math.floor(random() * 500),
      average_traded_price: round(last * (0.99 + random() * 0.02)),
      total_buy_quantity: Math.floor(random() * 1e6),
      total_sell_quantity: Math.floor(random() * 1e6),
      ohlc: {
        open: round(last * 0.99),
        high: round(last * 1.01),
        low: round(last * 0.98),
        close: round(last * 0.995),
      },
      change: Math.round((random() * 4 - 2) * 1e4) / 1e4,
      last_trade_time: ts,
      oi: 0,
      oi_day_high: 0,
      oi_day_low: 0,
      exchange_timestamp: ts,
      depth: {
        buy: Array.from({ length: 5 }, (_, i) => level("buy", i)),
        sell: Array.from({ length: 5 }, (_, i) => level("sell", i)),
      },
      mode: "full",
      tradable: true,
    },
  };
}

const tokens = Array.from({ length: INSTRUMENTS }, (_, i) => 100_000 + i * 257);
const messages = tokens.map((token, i) => Buffer.from(JSON.stringify(fullModeTick(token, i))));
const meanBytes = messages.reduce((sum, message) => sum + message.length, 0) / messages.length;

// Every path must accept every message with the same values, or the comparison means nothing;
// and the scanner must read every message itself (no fallback to JSON.parse).
for (const message of messages) {
  const decoded = decodeMarketTick(message);
  if (!decoded.ok) throw decoded.error;
  if (scanMarketTick(message) === null) throw new Error("the scanner fell back to JSON.parse");
  const reference = decodeMarketTickParsed(message);
  if (JSON.stringify(reference) !== JSON.stringify(decoded)) {
    throw new Error(`scanner and JSON.parse disagree: ${JSON.stringify([decoded, reference])}`);
  }
  const parsed = MarketTickEventSchema.safeParse(JSON.parse(toText(message)));
  if (!parsed.success) throw parsed.error;
}

/** A sink the optimiser cannot see through. */
let sink = 0;

const fullZod = (message) => {
  const parsed = MarketTickEventSchema.safeParse(JSON.parse(toText(message)));
  if (parsed.success) sink += parsed.data.data.instrument_token;
};

const quotes = new Map();
const engineDecode = (message) => {
  const decoded = decodeMarketTick(message);
  if (decoded.ok) quotes.set(decoded.value.instrumentToken, decoded.value);
};

const parsedQuotes = new Map();
const parsedDecode = (message) => {
  const decoded = decodeMarketTickParsed(message);
  if (decoded.ok) parsedQuotes.set(decoded.value.instrumentToken, decoded.value);
};

const bareParse = (message) => {
  sink += JSON.parse(toText(message)).data.instrument_token;
};

function measure(run, durationMs) {
  globalThis.gc?.();
  let count = 0;
  let index = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < BATCH; i += 1) {
      run(messages[index]);
      index = index + 1 === messages.length ? 0 : index + 1;
    }
    count += BATCH;
    elapsed = performance.now() - started;
  }
  return (count / elapsed) * 1000;
}

const cases = [
  ["a. JSON.parse + zod MarketTickEventSchema", fullZod],
  ["b. JSON.parse decoder (before) + price cache", parsedDecode],
  ["c. JSON.parse only", bareParse],
  ["d. decodeMarketTick (scanner) + price cache", engineDecode],
];

for (const [, run] of cases) measure(run, WARMUP_MS);
const rates = new Map(cases.map(([name, run]) => [name, measure(run, RUN_MS)]));

const format = (n) => Math.round(n).toLocaleString("en-US");
console.log(
  `tick decode: ${INSTRUMENTS} instruments, mean message ${Math.round(meanBytes)} bytes, ` +
    `${RUN_MS} ms per case after ${WARMUP_MS} ms warm-up, node ${process.version}` +
    (globalThis.gc ? ", gc between cases" : ""),
);
console.table(
  [...rates].map(([name, rate]) => ({
    case: name,
    "ticks/s": format(rate),
    "µs/tick": (1e6 / rate).toFixed(2),
    "MB/s": ((rate * meanBytes) / 1e6).toFixed(0),
  })),
);
const [zodRate, parsedRate, bareRate, engineRate] = [...rates.values()];
console.log(`decodeMarketTick vs full zod:            ${(engineRate / zodRate).toFixed(2)}x`);
console.log(`decodeMarketTick vs JSON.parse decoder:  ${(engineRate / parsedRate).toFixed(2)}x`);
console.log(`decodeMarketTick vs bare JSON.parse:     ${(engineRate / bareRate).toFixed(2)}x`);
console.log(`price cache: ${quotes.size} instruments (checksum ${sink % 9973})`);
