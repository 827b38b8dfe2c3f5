/**
 * Messages the emulator answers with. The first two are Kite's own words; the others describe the
 * problem in Kite's style, since Kite does not document every validation message.
 */
export const MESSAGES = {
  marketProtectionRequired:
    "Market orders without market protection are not allowed via API. Please set market protection or use a Limit order.",
  unknownOrder: "Couldn't find that `order_id`.",
  unknownInstrument:
    "The instrument you are placing an order for has either expired or does not exist.",
  invalidMarketProtection:
    "Invalid `market_protection`. Use -1 for automatic or a percentage above 0 and up to 100.",
  zeroMarketProtection:
    "Market protection of 0 is not allowed for market orders via API. Set market protection to -1 (automatic) or a percentage above 0 and up to 100.",
  invalidTag: "Invalid `tag`. A tag can have at most 20 characters, letters and digits only.",
  priceRequired: "Price is required for LIMIT and SL orders.",
  triggerRequired: "Trigger price is required for SL, SL-M and cover orders.",
  missing: (field: string) => `Missing or empty field \`${field}\`.`,
  invalid: (field: string) => `Invalid \`${field}\`.`,
  lotSize: (lot: number) => `Quantity should be a multiple of the lot size ${lot}.`,
  insufficientFunds: (required: number, available: number) =>
    `Insufficient funds. Required margin is ${required.toFixed(2)} but available margin is ${available.toFixed(2)}.`,
  insufficientFundsRaw: (required: number, available: number) =>
    `RMS:Margin Exceeds,Required:${required.toFixed(2)}, Available:${available.toFixed(2)} for entity account across exchange across segment across product`,
  notCancellable: (status: string) => `Order cannot be cancelled as it is ${status}.`,
  notModifiable: (status: string) => `Order cannot be modified as it is ${status}.`,
} as const;
