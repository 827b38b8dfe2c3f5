/** Tolerates the float error of `price / tick` without moving a price already on the grid. */
const GRID_EPSILON = 1e-9;

/**
 * `price` moved to the tick grid (`tickSize`, e.g. 0.05 for NSE equities) in one direction: `up`
 * to the next tick at or above it, `down` to the one at or below. A price already on the grid
 * stays. The result is rounded to the tick's decimals, so it prints as the exchange writes it.
 */
export function toGrid(price: number, tickSize: number, direction: "up" | "down"): number {
  const ticks = price / tickSize;
  const onGrid =
    direction === "up" ? Math.ceil(ticks - GRID_EPSILON) : Math.floor(ticks + GRID_EPSILON);
  return Number((onGrid * tickSize).toFixed(decimalsOf(tickSize)));
}

/** Decimals of a tick size as written (0.05 → 2, 0.0025 → 4, 1 → 0). */
function decimalsOf(tickSize: number): number {
  const text = String(tickSize);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}
