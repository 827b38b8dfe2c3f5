import { type FeeModel, roundPaise, type Trade } from "./fee-model.js";

/** The old engine's `commission_percent`: a flat percentage of turnover. */
export class FlatPercentFeeModel implements FeeModel {
  readonly name = "flat_percent";
  readonly #rate: number;

  /** @param percent percentage of turnover, e.g. `0.1` for 0.1 % */
  constructor(percent = 0.1) {
    if (!(percent >= 0)) throw new RangeError(`Invalid fee percent ${percent}`);
    this.#rate = percent / 100;
  }

  /** Turnover (quantity × price) times the percentage, in rupees rounded to the paisa. */
  feesFor(trade: Trade): number {
    return roundPaise(trade.quantity * trade.price * this.#rate);
  }
}
