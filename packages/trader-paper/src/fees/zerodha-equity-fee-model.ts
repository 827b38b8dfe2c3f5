import { type FeeModel, roundPaise, type Trade } from "./fee-model.js";
import {
  ZERODHA_EQUITY_RATES_2024_10_01,
  type ZerodhaEquityRates,
} from "./zerodha-equity-rates.js";

/** Zerodha's equity products: `intraday` (MIS) and `delivery` (CNC) are charged differently. */
export type EquityProduct = "intraday" | "delivery";
/** The exchange a trade is on: the exchange transaction charge differs. */
export type Exchange = "NSE" | "BSE";

/** Each component of the charges of one trade, in rupees. */
export interface ChargeBreakdown {
  brokerage: number;
  stt: number;
  exchangeTransaction: number;
  sebiFee: number;
  stampDuty: number;
  gst: number;
  total: number;
}

const CRORE = 10_000_000;

/**
 * Zerodha's statutory and brokerage charges on one equity trade (one executed order, one side).
 * Each component is rounded to the paisa as on a contract note; STT to the rupee, as the tax is.
 */
export class ZerodhaEquityFeeModel implements FeeModel {
  readonly name = "zerodha_equity";
  readonly #rates: ZerodhaEquityRates;
  readonly #product: EquityProduct;
  readonly #exchange: Exchange;

  constructor(
    options: { product?: EquityProduct; exchange?: Exchange; rates?: ZerodhaEquityRates } = {},
  ) {
    this.#product = options.product ?? "intraday";
    this.#exchange = options.exchange ?? "NSE";
    this.#rates = options.rates ?? ZERODHA_EQUITY_RATES_2024_10_01;
  }

  /** The sum of {@link ZerodhaEquityFeeModel.breakdown}'s components, in rupees. */
  feesFor(trade: Trade): number {
    return this.breakdown(trade).total;
  }

  /**
   * Each charge of `trade` in rupees, as a contract note lists them: brokerage, STT, exchange
   * transaction charge, SEBI fee, stamp duty and GST (at the rates of the trade's side), and the
   * total.
   */
  breakdown(trade: Trade): ChargeBreakdown {
    const turnover = trade.quantity * trade.price;
    const product = this.#rates[this.#product];
    const percent = (rate: number) => (turnover * rate) / 100;

    const brokerage = roundPaise(Math.min(percent(product.brokeragePercent), product.brokerageCap));
    const stt = Math.round(percent(product.sttPercent[trade.side]));
    const exchangeTransaction = roundPaise(
      percent(this.#rates.exchangeTransactionPercent[this.#exchange]),
    );
    const sebiFee = roundPaise((turnover * this.#rates.sebiFeePerCrore) / CRORE);
    const stampDuty = roundPaise(percent(product.stampPercent[trade.side]));
    const gst = roundPaise(
      ((brokerage + sebiFee + exchangeTransaction) * this.#rates.gstPercent) / 100,
    );
    const total = roundPaise(brokerage + stt + exchangeTransaction + sebiFee + stampDuty + gst);
    return { brokerage, stt, exchangeTransaction, sebiFee, stampDuty, gst, total };
  }
}
