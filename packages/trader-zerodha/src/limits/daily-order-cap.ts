import { istDate } from "../ist-time.js";

/**
 * Kite's daily order limit per user (5,000 today), counted per IST calendar day. The count lives
 * in memory: orders placed before a restart, or by other apps on the same account, are not in
 * it, so set `ZERODHA_ORDERS_PER_DAY` with room to spare.
 */
export class DailyOrderCap {
  readonly #limit: number;
  #day = "";
  #count = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Takes one order from the allowance of the IST day of `epochMs`; false when it is used up. */
  tryTake(epochMs: number): boolean {
    const day = istDate(epochMs);
    if (day !== this.#day) {
      this.#day = day;
      this.#count = 0;
    }
    if (this.#count >= this.#limit) return false;
    this.#count += 1;
    return true;
  }

  /** Orders allowed per day. */
  get limit(): number {
    return this.#limit;
  }
}
