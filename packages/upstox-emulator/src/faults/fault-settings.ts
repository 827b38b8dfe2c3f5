import { z } from "zod";

/** Which requests a fault applies to: order writes (place, cancel), reads, or both. */
export const FaultRouteSchema = z.enum(["place", "cancel", "read", "any"]);
export type FaultRoute = z.infer<typeof FaultRouteSchema>;

/**
 * When a fault fires: on each of the `next` matching requests, or on each with `probability`
 * (from the emulator's random source), or both (the count first).
 */
const RuleSchema = z.object({
  next: z.number().int().positive().optional(),
  probability: z.number().min(0).max(1).optional(),
  route: FaultRouteSchema.default("any"),
});
export type FaultRule = z.input<typeof RuleSchema>;

/**
 * Faults to inject. A given key replaces that fault, `null` clears it, a missing key keeps it.
 * - `latencyMs`: every answer is delayed;
 * - `tooManyRequests`: 429 `UDAPI10005`;
 * - `serverError`: a 5xx before anything is done (`status`, default 500);
 * - `serverErrorAfterCreate`: place only, the order is booked, then a 500 is answered;
 * - `connectionReset`: the socket is destroyed before anything is done;
 * - `timeoutAfterAccept`: place only, the order is booked and no answer is ever sent (the
 *   socket is left open until the client gives up).
 */
export const FaultSettingsSchema = z.object({
  latencyMs: z.number().int().nonnegative().nullable().optional(),
  tooManyRequests: RuleSchema.nullable().optional(),
  serverError: RuleSchema.extend({ status: z.number().int().min(500).max(599).default(500) })
    .nullable()
    .optional(),
  serverErrorAfterCreate: RuleSchema.nullable().optional(),
  connectionReset: RuleSchema.nullable().optional(),
  timeoutAfterAccept: RuleSchema.nullable().optional(),
});
export type FaultSettings = z.input<typeof FaultSettingsSchema>;
type ParsedRule = z.output<typeof RuleSchema>;

/** The kinds of fault that fire per request. */
export type FaultKind = Exclude<keyof FaultSettings, "latencyMs">;

interface ArmedRule {
  rule: ParsedRule;
  left: number | null;
  status: number;
}

/** The faults in force and how many times each fired. */
export class FaultBoard {
  readonly #random: () => number;
  readonly #armed = new Map<FaultKind, ArmedRule>();
  readonly fired = new Map<FaultKind, number>();
  latencyMs = 0;

  constructor(random: () => number) {
    this.#random = random;
  }

  /** @throws ZodError on invalid settings. */
  apply(input: FaultSettings): void {
    const settings = FaultSettingsSchema.parse(input);
    if (settings.latencyMs !== undefined) this.latencyMs = settings.latencyMs ?? 0;
    for (const kind of FAULT_KINDS) {
      const rule = settings[kind];
      if (rule === undefined) continue;
      if (rule === null) this.#armed.delete(kind);
      else {
        const status = "status" in rule ? rule.status : 500;
        this.#armed.set(kind, { rule, left: rule.next ?? null, status });
      }
    }
  }

  clear(): void {
    this.#armed.clear();
    this.latencyMs = 0;
  }

  /**
   * Whether `kind` fires for a request on `route`, consuming one of its `next` count. Answers
   * the HTTP status to use when it fires, or null.
   */
  take(kind: FaultKind, route: Exclude<FaultRoute, "any">): number | null {
    const armed = this.#armed.get(kind);
    if (armed === undefined) return null;
    if (armed.rule.route !== "any" && armed.rule.route !== route) return null;
    let fires: boolean;
    if (armed.left !== null && armed.left > 0) {
      armed.left -= 1;
      fires = true;
      if (armed.left === 0 && armed.rule.probability === undefined) this.#armed.delete(kind);
    } else {
      fires = armed.rule.probability !== undefined && this.#random() < armed.rule.probability;
    }
    if (fires) this.fired.set(kind, (this.fired.get(kind) ?? 0) + 1);
    return fires ? armed.status : null;
  }

  /** Kinds in force, for `faults()`. */
  active(): FaultKind[] {
    return [...this.#armed.keys()];
  }
}

const FAULT_KINDS: readonly FaultKind[] = [
  "tooManyRequests",
  "serverError",
  "serverErrorAfterCreate",
  "connectionReset",
  "timeoutAfterAccept",
];
