import type { JournaledFill } from "../journal/position-ledger.js";

/** One execution's fill: units (> 0) at an average price, fees, rupees (0 when none given). */
export type Fill = JournaledFill;

/** Realised P&L, fees and net of a strategy on a namespace, rupees: its instruments' sums. */
export interface StrategyPnl {
  namespace: string;
  strategy_id: string;
  realised_pnl: number;
  fees: number;
  net_pnl: number;
}

/**
 * A position by the average-cost method, per namespace, strategy and instrument. `net_quantity`
 * positive long, negative short, units; `average_cost` the average price of the open units
 * (null when flat), rupees; `realised_pnl` what closing units earned against that average,
 * before fees, rupees; `fees` every fill's fees, rupees; `net_pnl` realised minus fees.
 */
export interface PnlPosition extends StrategyPnl {
  instrument_token: number;
  net_quantity: number;
  average_cost: number | null;
  fills: number;
}

/**
 * Realised P&L by the average-cost method, from fills in the order they happened.
 *
 * A fill on the side of the open position (or from flat) adds to it at a new weighted average
 * cost. A fill against it closes units first: each closed unit realises (price − average cost)
 * for a long, (average cost − price) for a short, and the average cost of what stays open is
 * unchanged; units beyond the open position open a new one on the other side at the fill's price.
 * Fees are not part of the cost: they are summed apart, and `net_pnl` takes them off.
 */
export function realisedPnl(fills: readonly Fill[]): PnlPosition[] {
  const positions = new Map<string, PnlPosition>();
  for (const fill of fills) {
    const key = `${fill.namespace}\u0000${fill.strategy_id}\u0000${fill.instrument_token}`;
    let position = positions.get(key);
    if (!position) {
      position = {
        namespace: fill.namespace,
        strategy_id: fill.strategy_id,
        instrument_token: fill.instrument_token,
        net_quantity: 0,
        average_cost: null,
        realised_pnl: 0,
        fees: 0,
        net_pnl: 0,
        fills: 0,
      };
      positions.set(key, position);
    }
    apply(position, fill);
  }
  return [...positions.values()].map((position) => ({
    ...position,
    realised_pnl: paise(position.realised_pnl),
    fees: paise(position.fees),
    net_pnl: paise(position.realised_pnl - position.fees),
    average_cost: position.average_cost === null ? null : paise(position.average_cost, 4),
  }));
}

/** Sums positions per namespace and strategy, in the order they first appear. */
export function pnlByStrategy(positions: readonly PnlPosition[]): StrategyPnl[] {
  const totals = new Map<string, StrategyPnl>();
  for (const position of positions) {
    const key = `${position.namespace}\u0000${position.strategy_id}`;
    const total = totals.get(key) ?? {
      namespace: position.namespace,
      strategy_id: position.strategy_id,
      realised_pnl: 0,
      fees: 0,
      net_pnl: 0,
    };
    total.realised_pnl = paise(total.realised_pnl + position.realised_pnl);
    total.fees = paise(total.fees + position.fees);
    total.net_pnl = paise(total.net_pnl + position.net_pnl);
    totals.set(key, total);
  }
  return [...totals.values()];
}

function apply(position: PnlPosition, fill: Fill): void {
  const signed = fill.side === "SELL" ? -fill.quantity : fill.quantity;
  const held = position.net_quantity;
  const cost = position.average_cost ?? 0;
  position.fills += 1;
  position.fees += fill.fees;
  if (held === 0 || Math.sign(held) === Math.sign(signed)) {
    const total = held + signed;
    position.average_cost =
      (Math.abs(held) * cost + Math.abs(signed) * fill.price) / Math.abs(total);
    position.net_quantity = total;
    return;
  }
  const closed = Math.min(Math.abs(held), Math.abs(signed));
  position.realised_pnl += closed * (fill.price - cost) * Math.sign(held);
  const total = held + signed;
  position.net_quantity = total;
  if (total === 0) position.average_cost = null;
  else if (Math.sign(total) !== Math.sign(held)) position.average_cost = fill.price;
}

/** Rounded to `digits` decimals (paise by default): sums of floats print as rupees. */
function paise(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
