import { z } from "zod";

/** How orders fill; read at each placement, so a change affects orders placed afterwards. */
export const FillSettingsSchema = z
  .object({
    /** Time from placement to the last fill, ms; 0 completes an order on the next read. */
    fillDelayMs: z.number().nonnegative(),
    /** Fills per order; more than 1 gives partial fills. */
    fillSteps: z.number().int().positive(),
    /** Orders stop OPEN, before their next fill, until they are released or cancelled. */
    hold: z.boolean(),
    /** With `hold`: the fill steps an order makes before it stops; below `fillSteps`. */
    holdAfterFills: z.number().int().nonnegative(),
  })
  .refine((fills) => !fills.hold || fills.holdAfterFills < fills.fillSteps, {
    path: ["holdAfterFills"],
    message:
      "holdAfterFills must be below fillSteps: an order that has made its last fill is COMPLETE, not held",
  });

/** How orders fill; see {@link FillSettingsSchema}. */
export type FillSettings = z.output<typeof FillSettingsSchema>;

/** A change of fill settings: the fields given replace the current ones. */
export const FillSettingsUpdateSchema = z.object({
  fillDelayMs: z.number().nonnegative().optional(),
  fillSteps: z.number().int().positive().optional(),
  hold: z.boolean().optional(),
  holdAfterFills: z.number().int().nonnegative().optional(),
});

/** The body of `POST /__emulator/fills` and the argument of `setFills`. */
export type FillSettingsUpdate = z.input<typeof FillSettingsUpdateSchema>;

/**
 * A schema that reads an update and yields the fill settings it leads to from `current`, checked
 * as a whole (a hold point past the last fill is refused whichever field made it so).
 */
export function fillSettingsAfter(current: FillSettings) {
  return FillSettingsUpdateSchema.transform((update) => ({
    ...current,
    ...Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined)),
  })).pipe(FillSettingsSchema);
}
