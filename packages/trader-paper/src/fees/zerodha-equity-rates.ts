/**
 * Zerodha's equity charges, as data. Each schedule is tagged with the date it took effect so a
 * change of rates is a new entry, not an edit. Percentages are of turnover (quantity × price).
 */
export interface ZerodhaEquityRates {
  /** The date the schedule took effect (YYYY-MM-DD). */
  effectiveFrom: string;
  /** Where the rates were published. */
  source: string;
  intraday: ProductRates;
  delivery: ProductRates;
  /** Exchange transaction charge, percent of turnover, both sides. */
  exchangeTransactionPercent: { NSE: number; BSE: number };
  /** SEBI turnover fee: rupees per crore (1e7) of turnover, both sides. */
  sebiFeePerCrore: number;
  /** GST, percent, on brokerage + SEBI fee + exchange transaction charge. */
  gstPercent: number;
}

/** The rates of one product (intraday or delivery); percentages are of turnover. */
export interface ProductRates {
  /** Brokerage percent of turnover per executed order, capped at `brokerageCap` rupees. */
  brokeragePercent: number;
  brokerageCap: number;
  /** Securities transaction tax, percent of turnover, per side. */
  sttPercent: { BUY: number; SELL: number };
  /** Stamp duty, percent of turnover, per side. */
  stampPercent: { BUY: number; SELL: number };
}

/**
 * Effective 1 October 2024: the exchanges' flat transaction charges that followed SEBI's
 * "true to label" circular, and GST on the SEBI fee as well.
 */
export const ZERODHA_EQUITY_RATES_2024_10_01: ZerodhaEquityRates = {
  effectiveFrom: "2024-10-01",
  source: "zerodha.com/charges (equity), schedule effective 2024-10-01",
  intraday: {
    brokeragePercent: 0.03,
    brokerageCap: 20,
    sttPercent: { BUY: 0, SELL: 0.025 },
    stampPercent: { BUY: 0.003, SELL: 0 },
  },
  delivery: {
    brokeragePercent: 0,
    brokerageCap: 0,
    sttPercent: { BUY: 0.1, SELL: 0.1 },
    stampPercent: { BUY: 0.015, SELL: 0 },
  },
  exchangeTransactionPercent: { NSE: 0.00297, BSE: 0.00375 },
  sebiFeePerCrore: 10,
  gstPercent: 18,
};
