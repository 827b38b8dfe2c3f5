import type { Side } from "@engine/core";

/** One executed trade, as a fee model sees it. */
export interface Trade {
  side: Side;
  quantity: number;
  price: number;
}

/** Computes the charges of one trade, in rupees rounded to the paisa. */
export interface FeeModel {
  /** The model's name as `PAPER_FEE_MODEL` spells it (`flat_percent`, `zerodha_equity`). */
  readonly name: string;
  /** The total charges of `trade`, in rupees rounded to the paisa (0 or more). */
  feesFor(trade: Trade): number;
}

/** Rounds to the paisa (two decimals), half away from zero. */
export function roundPaise(amount: number): number {
  return Math.round((amount + Number.EPSILON) * 100) / 100;
}
