import { z } from "zod";
import type { EmulatorState } from "../emulator-state.js";
import { applyFaultSettings } from "../faults/apply-fault-settings.js";
import { FaultSettingsSchema } from "../faults/fault-settings.js";
import { fillSettingsAfter } from "../orders/fill-settings.js";
import type { Route } from "./match-route.js";
import { jsonReply, type Reply } from "./reply.js";

/** Handles one `/__emulator/*` route; `body` is the parsed JSON body, if any. */
export type AdminHandler = (body: unknown, state: EmulatorState) => Reply;

const TokenBodySchema = z.union([
  z.object({ access_token: z.string().min(1) }),
  z.object({ expire: z.literal(true) }),
]);
const PriceBodySchema = z.object({
  exchange: z.string().min(1),
  tradingsymbol: z.string().min(1),
  price: z.number().positive(),
});
const MarginBodySchema = z.object({ available: z.number().nonnegative() });
const ReleaseBodySchema = z.object({ order_ids: z.array(z.string().min(1)).optional() });

const ok = (value: unknown = { ok: true }): Reply => jsonReply(200, value);

/** Parses `body` with `schema`, or answers 400 with zod's explanation. */
function withBody<S extends z.ZodType>(
  schema: S,
  run: (value: z.output<S>, state: EmulatorState) => Reply,
): AdminHandler {
  return (body, state) => {
    const parsed = schema.safeParse(body ?? {});
    if (!parsed.success) return jsonReply(400, { error: z.prettifyError(parsed.error) });
    return run(parsed.data, state);
  };
}

/**
 * Control endpoints for a test running in another process. They need no Kite headers, are not
 * logged, not rate limited and not subject to faults.
 */
export const ADMIN_ROUTES: readonly Route<AdminHandler>[] = [
  {
    method: "GET",
    template: "/__emulator/orders",
    handler: (_body, state) => ok({ orders: state.book.all() }),
  },
  {
    method: "GET",
    template: "/__emulator/stats",
    handler: (_body, state) => ok(state.snapshotStats()),
  },
  {
    method: "GET",
    template: "/__emulator/requests",
    handler: (_body, state) => ok({ requests: state.log.entries() }),
  },
  {
    method: "GET",
    template: "/__emulator/faults",
    handler: (_body, state) => ok(state.faults.snapshot()),
  },
  {
    method: "POST",
    template: "/__emulator/faults",
    handler: withBody(FaultSettingsSchema, (settings, state) => {
      applyFaultSettings(state, settings);
      return ok(state.faults.snapshot());
    }),
  },
  {
    method: "POST",
    template: "/__emulator/token",
    handler: withBody(TokenBodySchema, (body, state) => {
      if ("access_token" in body) state.session.rotate(body.access_token);
      else state.session.expire();
      return ok();
    }),
  },
  {
    method: "POST",
    template: "/__emulator/price",
    handler: withBody(PriceBodySchema, (body, state) => {
      if (state.instruments.find(body.exchange, body.tradingsymbol) === undefined) {
        return jsonReply(400, { error: "unknown instrument" });
      }
      state.prices.set(body.exchange, body.tradingsymbol, body.price);
      return ok();
    }),
  },
  {
    method: "POST",
    template: "/__emulator/margin",
    handler: withBody(MarginBodySchema, (body, state) => {
      state.margin.setAvailable(body.available);
      return ok();
    }),
  },
  {
    method: "POST",
    template: "/__emulator/fills",
    // The schema depends on the current settings: a hold point is checked against fillSteps.
    handler: (body, state) =>
      withBody(fillSettingsAfter(state.fills), (fills) => {
        Object.assign(state.fills, fills);
        return ok(fills);
      })(body, state),
  },
  {
    method: "POST",
    template: "/__emulator/release",
    handler: withBody(ReleaseBodySchema, (body, state) =>
      ok({ released: state.book.release(body.order_ids) }),
    ),
  },
  {
    method: "POST",
    template: "/__emulator/reset",
    handler: (_body, state) => {
      state.reset();
      return ok();
    },
  },
];
