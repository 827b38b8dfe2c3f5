/**
 * The form fields of a protected MARKET BUY of one INFY, as `POST /orders/{variety}` receives
 * them, for tests that validate or send a placement without the client.
 */
export function marketOrderFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    exchange: "NSE",
    tradingsymbol: "INFY",
    transaction_type: "BUY",
    quantity: "1",
    product: "CNC",
    order_type: "MARKET",
    market_protection: "-1",
    ...overrides,
  };
}
