import type { Instrument } from "./instrument.js";

function nseEquity(
  instrument_token: number,
  tradingsymbol: string,
  name: string,
  last_price: number,
): Instrument {
  return {
    instrument_token,
    // Kite's instrument token carries the exchange token in its upper bits.
    exchange_token: instrument_token >> 8,
    tradingsymbol,
    name,
    last_price,
    expiry: "",
    strike: 0,
    tick_size: 0.05,
    lot_size: 1,
    instrument_type: "EQ",
    segment: "NSE",
    exchange: "NSE",
  };
}

/**
 * A small realistic table: liquid NSE equities with their real instrument tokens (prices are
 * illustrative), and one NIFTY future so lot-size rules can be exercised.
 */
export const DEFAULT_INSTRUMENTS: readonly Instrument[] = Object.freeze([
  nseEquity(738561, "RELIANCE", "RELIANCE INDUSTRIES", 1425.3),
  nseEquity(408065, "INFY", "INFOSYS", 1530.6),
  nseEquity(2953217, "TCS", "TATA CONSULTANCY SERV LT", 3150),
  nseEquity(341249, "HDFCBANK", "HDFC BANK", 985.5),
  nseEquity(1270529, "ICICIBANK", "ICICI BANK", 1390.2),
  nseEquity(779521, "SBIN", "STATE BANK OF INDIA", 820.45),
  nseEquity(424961, "ITC", "ITC", 410.25),
  nseEquity(2714625, "BHARTIARTL", "BHARTI AIRTEL", 1950.8),
  nseEquity(2939649, "LT", "LARSEN & TOUBRO", 3600),
  nseEquity(1510401, "AXISBANK", "AXIS BANK", 1120.4),
  nseEquity(492033, "KOTAKBANK", "KOTAK MAHINDRA BANK", 2050.15),
  {
    instrument_token: 13238786,
    exchange_token: 51714,
    tradingsymbol: "NIFTY26APRFUT",
    name: "NIFTY",
    last_price: 24150.5,
    expiry: "2026-04-28",
    strike: 0,
    tick_size: 0.1,
    lot_size: 65,
    instrument_type: "FUT",
    segment: "NFO-FUT",
    exchange: "NFO",
  },
]);
