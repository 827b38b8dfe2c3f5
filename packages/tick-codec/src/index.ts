export { isOffsetTimestamp } from "./iso-timestamp.js";
export type { MarketQuote } from "./market-quote.js";
export {
  MAX_DEPTH,
  MAX_SCAN_BYTES,
  resetTickScanner,
  scanMarketTick,
  tickScannerStats,
} from "./tick-scanner.js";
