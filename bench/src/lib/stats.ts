/** The value at quantile `q` (0..1) of an ascending array, nearest-rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

/** Latencies' nearest-rank percentiles and maximum, ms; null when there were none. */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** p50, p99, p99.9 and max of a list of latencies (ms), rounded to 0.01 ms. */
export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const round = (value: number | null | undefined) =>
    value === null || value === undefined ? null : Math.round(value * 100) / 100;
  return {
    count: sorted.length,
    p50: round(quantile(sorted, 0.5)),
    p99: round(quantile(sorted, 0.99)),
    p999: round(quantile(sorted, 0.999)),
    max: round(sorted.length ? sorted[sorted.length - 1] : null),
  };
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  {
    timeoutMs,
    everyMs = 50,
    what = "condition",
  }: { timeoutMs: number; everyMs?: number; what?: string },
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

/** `value` to `digits` decimals; null for a missing value. */
export function round(value: number, digits?: number): number;
export function round(value: number | null | undefined, digits?: number): number | null;
export function round(value: number | null | undefined, digits = 0): number | null {
  return value === null || value === undefined ? null : Number(value.toFixed(digits));
}

/**
 * The most events within any sliding one-second window `(t - 1000 ms, t]` of `times` (ms), as the
 * Kite emulator counts its peaks.
 */
export function peakInAnySecond(times: ArrayLike<number>): number {
  const sorted = Float64Array.from(times).sort();
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[start] as number) <= (sorted[end] as number) - 1_000) start += 1;
    max = Math.max(max, end - start + 1);
  }
  return max;
}
