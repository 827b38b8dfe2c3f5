/**
 * The account's equity cash. Accepted orders block `quantity × price`; the unfilled part of a
 * cancelled order is released. Positions are not modelled, so filled value stays utilised.
 */
export class MarginAccount {
  #openingBalance: number;
  #utilised = 0;

  constructor(available: number) {
    this.#openingBalance = available;
  }

  get available(): number {
    return round2(this.#openingBalance - this.#utilised);
  }

  get utilised(): number {
    return round2(this.#utilised);
  }

  get openingBalance(): number {
    return this.#openingBalance;
  }

  /** Makes `amount` available for new orders; what is already utilised stays utilised. */
  setAvailable(amount: number): void {
    this.#openingBalance = amount + this.#utilised;
  }

  /** Back to `available` with nothing utilised. */
  reset(available: number): void {
    this.#openingBalance = available;
    this.#utilised = 0;
  }

  block(amount: number): void {
    this.#utilised += amount;
  }

  release(amount: number): void {
    this.#utilised = Math.max(0, this.#utilised - amount);
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
