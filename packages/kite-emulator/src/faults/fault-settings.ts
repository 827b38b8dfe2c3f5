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
  /**
   * `json` (the default): Kite's error envelope (NetworkException, or GeneralException for 500);
   * `text`: the status line as plain text; `html`: a gateway's HTML error page (`text/html`).
   */
  format: z.enum(["json", "text", "html"]).optional(),
  /**
   * The placement goes through first: the order is created and lives on as usual, and only the
   * answer is the 5xx. Only placements that create an order are eligible (an invalid one still
   * gets its 400). Without it the outage answers before validation and no order is created.
   */
  afterCreate: z.boolean().optional(),
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
  /** HTTP 502/503/504 (or 500) on order placement; the order is created only with `afterCreate`. */
  orderSystemDown: OrderSystemDownFaultSchema.nullable().optional(),
  /**
   * Milliseconds after its placement during which a new order is left out of `GET /orders` and
   * its fills out of `GET /trades`; captured per order when it is placed. `null` returns to the
   * constructor's `orderBookLagMs` (0 by default).
   */
  orderBookLagMs: z.number().int().nonnegative().nullable().optional(),
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
  orderBookLagMs: number;
  tooManyRequests: TooManyRequestsFault | null;
  orderSystemDown: OrderSystemDownFault | null;
  timeoutAfterAccept: TimeoutAfterAcceptFault | null;
  unexpectedContentType: UnexpectedContentTypeFault | null;
}
