/** The value at quantile `q` (0..1) of an ascending array, nearest-rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50, p99, p99.9 and max of a list of latencies (ms), rounded to 0.01 ms. */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const round = (value) => (value === null ? null : Math.round(value * 100) / 100);
  return {
    count: sorted.length,
    p50: round(quantile(sorted, 0.5)),
    p99: round(quantile(sorted, 0.99)),
    p999: round(quantile(sorted, 0.999)),
    max: round(sorted.length ? sorted[sorted.length - 1] : null),
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor(check, { timeoutMs, everyMs = 50, what = "condition" }) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

export const round = (value, digits = 0) =>
  value === null || value === undefined ? null : Number(value.toFixed(digits));

/**
 * The most events within any sliding one-second window `(t - 1000 ms, t]` of `times` (ms), as the
 * Kite emulator counts its peaks.
 */
export function peakInAnySecond(times) {
  const sorted = Float64Array.from(times).sort();
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[start] <= sorted[end] - 1_000) start += 1;
    max = Math.max(max, end - start + 1);
  }
  return max;
}
