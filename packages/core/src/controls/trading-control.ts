import { z } from "zod";
import { TimestampSchema } from "../events/payloads.js";

/**
 * An operator's trading state: `ACTIVE` (trade), `REDUCING` (only orders that bring the
 * strategy's net position on the namespace closer to zero, without crossing it), `HALTED` (no new
 * order). Ordered from least to most restrictive.
 */
export const TRADING_STATES = ["ACTIVE", "REDUCING", "HALTED"] as const;
/** A trading state on the wire (`ACTIVE`, `REDUCING`, `HALTED`). */
export const TradingStateSchema = z.enum(TRADING_STATES);
/** One of `TRADING_STATES`. */
export type TradingState = z.infer<typeof TradingStateSchema>;

/** Where a state applies: everywhere, one namespace, one strategy (everywhere or on one namespace). */
export const ControlScopeKindSchema = z.enum(["global", "namespace", "strategy"]);
/** `global`, `namespace` or `strategy`. */
export type ControlScopeKind = z.infer<typeof ControlScopeKindSchema>;

const Name = z.string().trim().min(1).max(200);

/**
 * A change of trading state as an operator asks for it (`POST /control`, the CLI). `namespace`
 * is required for the `namespace` scope, `strategy_id` for `strategy` (with `namespace` too, the
 * strategy on that namespace only); `global` takes neither. `expires_at`: ISO-8601 with an offset,
 * after which the change no longer applies (the scope is `ACTIVE` again).
 */
export const ControlRequestSchema = z
  .object({
    scope: ControlScopeKindSchema,
    namespace: Name.optional(),
    strategy_id: Name.optional(),
    state: TradingStateSchema,
    reason: z.string().trim().min(1).max(500),
    cancel_open: z.boolean().optional(),
    expires_at: TimestampSchema.optional(),
    /** Who asks; the admin API and the CLI fill it in when absent. */
    operator: Name.optional(),
  })
  // A misspelt field (`cancelOpen`, `expiresAt`) would otherwise be dropped, and the change made
  // without what the operator asked for: refused, naming it.
  .strict()
  .superRefine((request, ctx) => {
    const need = (field: "namespace" | "strategy_id", wanted: boolean) => {
      if ((request[field] !== undefined) === wanted) return;
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: wanted
          ? `required for scope ${request.scope}`
          : `not allowed for scope ${request.scope}`,
      });
    };
    if (request.scope === "global") {
      need("namespace", false);
      need("strategy_id", false);
    } else if (request.scope === "namespace") {
      need("namespace", true);
      need("strategy_id", false);
    } else {
      need("strategy_id", true);
    }
  });
/** A change as an operator asks for it; see `ControlRequestSchema`. */
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

/** What is wrong with a valid-looking request in its context: the field (`path`) and why. */
export interface ControlRequestProblem {
  path: "expires_at" | "namespace";
  message: string;
}

/**
 * What the schema alone cannot see in a request, given when it is made and where: an
 * `expires_at` at or before `now` (epoch ms; the change would never apply, which hides a typo in
 * the date or its offset), and, when `namespaces` is given (the namespaces the engine serves), a
 * `namespace` outside them (a halt of a misspelt namespace would stop nothing). Empty when fine.
 */
export function controlRequestProblems(
  request: ControlRequest,
  context: { now: number; namespaces?: readonly string[] },
): ControlRequestProblem[] {
  const problems: ControlRequestProblem[] = [];
  if (request.expires_at !== undefined && Date.parse(request.expires_at) <= context.now) {
    problems.push({
      path: "expires_at",
      message: `${request.expires_at} is already past: the change would never apply`,
    });
  }
  const { namespaces } = context;
  if (
    namespaces !== undefined &&
    request.namespace !== undefined &&
    !namespaces.includes(request.namespace)
  ) {
    problems.push({
      path: "namespace",
      message: `unknown namespace "${request.namespace}": this engine serves ${namespaces.join(", ") || "none"}`,
    });
  }
  return problems;
}

/**
 * A change as written to the control topic (`engine.control`, keyed by `controlKey`): the request
 * with who asked and when. The topic is compacted: the latest change of each scope is its state.
 */
export const TradingControlSchema = z.object({
  scope: ControlScopeKindSchema,
  namespace: z.string().min(1).nullable(),
  strategy_id: z.string().min(1).nullable(),
  state: TradingStateSchema,
  reason: z.string(),
  operator: z.string().min(1),
  /** When the change was made, ISO-8601. */
  ts: TimestampSchema,
  cancel_open: z.boolean(),
  expires_at: TimestampSchema.nullable(),
});
/** A change as the control topic carries it; see `TradingControlSchema`. */
export type TradingControl = z.infer<typeof TradingControlSchema>;

/** The change a request makes, made by `operator` at `at` (epoch ms). */
export function controlFromRequest(
  request: ControlRequest,
  operator: string,
  at: number,
): TradingControl {
  return {
    scope: request.scope,
    namespace: request.namespace ?? null,
    strategy_id: request.strategy_id ?? null,
    state: request.state,
    reason: request.reason,
    operator: request.operator ?? operator,
    ts: new Date(at).toISOString(),
    cancel_open: request.cancel_open ?? false,
    expires_at: request.expires_at ?? null,
  };
}

/**
 * The control topic's key of a scope: `global`, `namespace:{ns}`, `strategy:{id}`, or
 * `strategy:{id}@{ns}` for a strategy on one namespace, each name percent-encoded
 * (`encodeURIComponent`) so that no two scopes share a key: the strategy `a@zerodha` everywhere is
 * `strategy:a%40zerodha`, not strategy `a` on `zerodha`. (The topic is compacted by key, and the
 * engine keeps one change per key: two scopes on one key would overwrite each other.) Names of
 * letters, digits, `-`, `_`, `.` read as they are.
 */
export function controlKey(control: Pick<TradingControl, "scope" | "namespace" | "strategy_id">) {
  const name = (value: string | null) => encodeURIComponent(value ?? "");
  if (control.scope === "global") return "global";
  if (control.scope === "namespace") return `namespace:${name(control.namespace)}`;
  return control.namespace === null
    ? `strategy:${name(control.strategy_id)}`
    : `strategy:${name(control.strategy_id)}@${name(control.namespace)}`;
}

/** A scope's description in a refusal's message, e.g. `strategy s1 on zerodha`. */
export function describeScope(
  control: Pick<TradingControl, "scope" | "namespace" | "strategy_id">,
): string {
  if (control.scope === "global") return "global";
  if (control.scope === "namespace") return `namespace ${control.namespace}`;
  return control.namespace === null
    ? `strategy ${control.strategy_id}`
    : `strategy ${control.strategy_id} on ${control.namespace}`;
}
