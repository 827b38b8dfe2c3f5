/**
 * Exponential backoff with jitter: between half and all of `base × 2^attempt`, capped. The jitter
 * keeps several waiters (or several engine instances) from retrying in lock step.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
