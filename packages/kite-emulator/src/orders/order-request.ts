import type { Instrument } from "../instruments/instrument.js";
import type { OrderType, Product, TransactionType, Validity, Variety } from "./kite-order.js";

/** A placement that passed validation, with defaults applied. */
export interface OrderRequest {
  variety: Variety;
  instrument: Instrument;
  transaction_type: TransactionType;
  quantity: number;
  product: Product;
  order_type: OrderType;
  /** Limit price; 0 for MARKET and SL-M. */
  price: number;
  /** Trigger price; 0 unless SL, SL-M or a cover order. */
  trigger_price: number;
  validity: Validity;
  validity_ttl: number;
  disclosed_quantity: number;
  /** -1 (automatic) or a percentage; 0 when not given on a LIMIT or SL order. */
  market_protection: number;
  tag: string | null;
}
