import { quantileSorted } from "simple-statistics";
import { z } from "zod";

/** p50, p99 and max of a set of values (in the values' unit); nulls when it is empty. */
export const DistributionSchema = z.object({
  count: z.number().int(),
  p50: z.number().nullable(),
  p99: z.number().nullable(),
  max: z.number().nullable(),
});
export type Distribution = z.infer<typeof DistributionSchema>;

/** The distribution of `values`, rounded to 0.01. */
export function distributionOf(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0, p50: null, p99: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    count: sorted.length,
    p50: round(quantileSorted(sorted, 0.5)),
    p99: round(quantileSorted(sorted, 0.99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}
