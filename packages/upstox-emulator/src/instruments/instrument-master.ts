import { gzipSync } from "node:zlib";

/** A row of Upstox's daily instrument master (the fields the trader reads, and a few more). */
export interface UpstoxInstrument {
  instrument_key: string;
  segment: string;
  exchange: string;
  exchange_token: string;
  trading_symbol: string;
  name: string;
  isin?: string;
  instrument_type: string;
  lot_size: number;
  /** In paise, as the master reports it (5 = ₹0.05). */
  tick_size: number;
  freeze_quantity: number;
  /** The emulator's market price for fills; not a field of Upstox's master. */
  last_price: number;
}

function nseEquity(
  isin: string,
  exchangeToken: number,
  symbol: string,
  name: string,
  lastPrice: number,
): UpstoxInstrument {
  return {
    instrument_key: `NSE_EQ|${isin}`,
    segment: "NSE_EQ",
    exchange: "NSE",
    exchange_token: String(exchangeToken),
    trading_symbol: symbol,
    name,
    isin,
    instrument_type: "EQ",
    lot_size: 1,
    tick_size: 5,
    freeze_quantity: 100_000,
    last_price: lastPrice,
  };
}

/**
 * A small master: NSE equities whose exchange tokens match the Kite emulator's instrument tokens
 * (Kite's token is the exchange token shifted left by 8 bits), so one signal maps on both.
 */
export const DEFAULT_UPSTOX_INSTRUMENTS: readonly UpstoxInstrument[] = Object.freeze([
  nseEquity("INE002A01018", 2885, "RELIANCE", "RELIANCE INDUSTRIES LTD", 1425.3),
  nseEquity("INE009A01021", 1594, "INFY", "INFOSYS LIMITED", 1530.6),
  nseEquity("INE467B01029", 11536, "TCS", "TATA CONSULTANCY SERV LT", 3150),
  nseEquity("INE040A01034", 1333, "HDFCBANK", "HDFC BANK LTD", 985.5),
  nseEquity("INE062A01020", 3045, "SBIN", "STATE BANK OF INDIA", 820.45),
]);

/** The master as Upstox serves it: a gzip'd JSON array, without the emulator's prices. */
export function renderInstrumentMaster(instruments: readonly UpstoxInstrument[]): Buffer {
  const rows = instruments.map(({ last_price: _price, ...row }) => row);
  return gzipSync(Buffer.from(JSON.stringify(rows)));
}
