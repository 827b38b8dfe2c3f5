// Tick decoding throughput, in process. Run after `pnpm --filter @engine/core build`:
//   node --expose-gc bench/tick-decode.bench.mjs
// Compares the engine's path (decodeMarketTick + price cache update) with a full zod parse of the
// envelope and with bare JSON.parse. Every path decodes the same bytes with the same strict UTF-8
// decoder (`toText`), so the ratios compare parsing and validation only.

import { performance } from "node:perf_hooks";
import { scanMarketTick } from "@engine/tick-codec";
import { decodeMarketTick, MarketTickEventSchema, toText } from "../dist/index.js";
// The JSON.parse decoder the scanner falls back to, and the full-mode ticks the end-to-end
// benchmarks send (`@engine/core/testing`).
import { decodeMarketTickParsed, fullTickPool } from "../dist/testing/index.js";

const INSTRUMENTS = 2_000;
const WARMUP_MS = 500;
const RUN_MS = 2_000;
/** How many ticks between clock reads, so reading the clock does not dominate. */
const BATCH = 1_000;

// The same full-mode ticks the end-to-end benchmarks send, as Kafka hands them over: Buffers.
const messages = fullTickPool(INSTRUMENTS, INSTRUMENTS).map((message) => message.value);
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
