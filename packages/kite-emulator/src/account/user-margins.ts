import type { MarginAccount } from "./margin-account.js";

/** One segment of `GET /user/margins`, in Kite's shape. */
export interface SegmentMargins {
  enabled: boolean;
  net: number;
  available: {
    adhoc_margin: number;
    cash: number;
    opening_balance: number;
    live_balance: number;
    collateral: number;
    intraday_payin: number;
  };
  utilised: {
    debits: number;
    exposure: number;
    m2m_realised: number;
    m2m_unrealised: number;
    option_premium: number;
    payout: number;
    span: number;
    holding_sales: number;
    turnover: number;
    liquid_collateral: number;
    stock_collateral: number;
    delivery: number;
  };
}

function segment(enabled: boolean, opening: number, utilised: number): SegmentMargins {
  const net = Math.round((opening - utilised) * 100) / 100;
  return {
    enabled,
    net,
    available: {
      adhoc_margin: 0,
      cash: opening,
      opening_balance: opening,
      live_balance: net,
      collateral: 0,
      intraday_payin: 0,
    },
    utilised: {
      debits: utilised,
      exposure: 0,
      m2m_realised: 0,
      m2m_unrealised: 0,
      option_premium: 0,
      payout: 0,
      span: 0,
      holding_sales: 0,
      turnover: 0,
      liquid_collateral: 0,
      stock_collateral: 0,
      delivery: 0,
    },
  };
}

/** `GET /user/margins` data: the equity segment reflects the account, commodity is empty. */
export function userMargins(account: MarginAccount): {
  equity: SegmentMargins;
  commodity: SegmentMargins;
} {
  return {
    equity: segment(true, account.openingBalance, account.utilised),
    commodity: segment(true, 0, 0),
  };
}
