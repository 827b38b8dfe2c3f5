import { z } from "zod";

/**
 * When a fault fires: for the next `next` eligible requests, then with `probability`; with
 * neither, on every eligible request until cleared.
 */
const TriggerShape = {
  next: z.number().int().nonnegative().optional(),
  probability: z.number().min(0).max(1).optional(),
};

export const TooManyRequestsFaultSchema = z.object({
  ...TriggerShape,
  /** `json`: Kite's NetworkException envelope; `text`: a bare "Too Many Requests". */
  format: z.enum(["json", "text"]).optional(),
  /** Limit the fault to order placements; otherwise any Kite API request is eligible. */
  placementsOnly: z.boolean().optional(),
});

export const OrderSystemDownFaultSchema = z.object({
  ...TriggerShape,
  /** 502, 503 (the default) or 504 as when Kite's OMS is down; 500 for a GeneralException. */
  status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
  /** `json`: a NetworkException envelope; `text`: a gateway's plain-text page. */
  format: z.enum(["json", "text"]).optional(),
});

export const TimeoutAfterAcceptFaultSchema = z.object({
  ...TriggerShape,
  /** `hang`: answer after `hangMs`; `destroy`: drop the connection without an answer. */
  mode: z.enum(["hang", "destroy"]).optional(),
  hangMs: z.number().int().positive().optional(),
});

export const UnexpectedContentTypeFaultSchema = z.object({
  ...TriggerShape,
  placementsOnly: z.boolean().optional(),
});

/**
 * Faults to inject. Setting a key replaces that fault; `null` clears it; absent keys are kept.
 * This is also the JSON body of `POST /__emulator/faults`.
 */
export const FaultSettingsSchema = z.object({
  /** Milliseconds added before every Kite API response. */
  latencyMs: z.number().int().nonnegative().nullable().optional(),
  /** HTTP 429 answers. */
  tooManyRequests: TooManyRequestsFaultSchema.nullable().optional(),
  /** HTTP 502/503/504 (or 500) on order placement; no order is created. */
  orderSystemDown: OrderSystemDownFaultSchema.nullable().optional(),
  /** The order is created, but the placement gets no timely answer. */
  timeoutAfterAccept: TimeoutAfterAcceptFaultSchema.nullable().optional(),
  /** HTTP 200 with `text/html`, which the client resolves as a DataException object. */
  unexpectedContentType: UnexpectedContentTypeFaultSchema.nullable().optional(),
  /** Invalidate the current access token now. */
  expireToken: z.boolean().optional(),
});

/** Faults to inject; see {@link FaultSettingsSchema}. */
export type FaultSettings = z.input<typeof FaultSettingsSchema>;
export type TooManyRequestsFault = z.infer<typeof TooManyRequestsFaultSchema>;
export type OrderSystemDownFault = z.infer<typeof OrderSystemDownFaultSchema>;
export type TimeoutAfterAcceptFault = z.infer<typeof TimeoutAfterAcceptFaultSchema>;
export type UnexpectedContentTypeFault = z.infer<typeof UnexpectedContentTypeFaultSchema>;

/** The faults in force, as reported by `faults()` and `GET /__emulator/faults`. */
export interface ActiveFaults {
  latencyMs: number;
  tooManyRequests: TooManyRequestsFault | null;
  orderSystemDown: OrderSystemDownFault | null;
  timeoutAfterAccept: TimeoutAfterAcceptFault | null;
  unexpectedContentType: UnexpectedContentTypeFault | null;
}
