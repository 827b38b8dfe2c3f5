import { z } from "zod";
import { EngineError } from "../errors.js";

/** The process environment, or any record shaped like it. */
export type Env = Record<string, string | undefined>;

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

/** A boolean variable: true/false, 1/0, yes/no, on/off (any case). */
export function envBoolean(defaultValue: boolean) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim().toLowerCase() ?? "";
      if (text === "") return defaultValue;
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
      ctx.addIssue({ code: "custom", message: "expected true or false" });
      return z.NEVER;
    });
}

/** Decimal digits, an optional minus and fraction: how a number is written in the settings. */
const DECIMAL = /^-?\d+(?:\.\d+)?$/;
const INTEGER = /^-?\d+$/;

/**
 * The number `text` writes in plain decimal digits (an optional minus; a fraction unless
 * `integer`), or null: `0x10`, `1e3`, `+5`, `.5` and `Infinity` are not read as numbers in the
 * settings.
 */
export function decimalValue(text: string, { integer }: { integer: boolean }): number | null {
  if (!(integer ? INTEGER : DECIMAL).test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * An integer variable within bounds, written in decimal digits (`0x10`, `1e3`, `+5`, `1.0` are
 * refused rather than read as numbers).
 */
export function envInteger(defaultValue: number, bounds: { min?: number; max?: number } = {}) {
  return envNumeric(defaultValue, "an integer", true, {
    min: bounds.min ?? Number.MIN_SAFE_INTEGER,
    max: bounds.max ?? Number.MAX_SAFE_INTEGER,
  });
}

/** A number variable within bounds, written as a decimal (`12`, `0.25`, `-3.5`; not `1e3`, `.5`). */
export function envNumber(defaultValue: number, bounds: { min?: number; max?: number } = {}) {
  return envNumeric(defaultValue, "a number", false, {
    min: bounds.min ?? Number.NEGATIVE_INFINITY,
    max: bounds.max ?? Number.POSITIVE_INFINITY,
  });
}

function envNumeric(
  defaultValue: number,
  kind: string,
  integer: boolean,
  { min, max }: { min: number; max: number },
) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim() ?? "";
      if (text === "") return defaultValue;
      const number = decimalValue(text, { integer });
      if (number === null || number < min || number > max) {
        ctx.addIssue({ code: "custom", message: `expected ${kind} from ${min} to ${max}` });
        return z.NEVER;
      }
      return number;
    });
}

/** A comma-separated list; empty items are dropped. */
export function envList() {
  return z
    .string()
    .optional()
    .transform((value) =>
      (value ?? "")
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== ""),
    );
}

/** An optional string: unset and empty both mean absent. */
export function envOptional() {
  return z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? value.trim() : undefined));
}

/** One enum variable, case-insensitive. */
export function envEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  defaultValue: T[number],
) {
  return z
    .string()
    .optional()
    .transform((value, ctx): T[number] => {
      const text = value?.trim().toLowerCase() ?? "";
      if (text === "") return defaultValue;
      if ((values as readonly string[]).includes(text)) return text as T[number];
      ctx.addIssue({ code: "custom", message: `expected one of ${values.join(", ")}` });
      return z.NEVER;
    });
}

/** A variable that failed validation; values are never included, since some are secrets. */
export interface SettingsIssue {
  variable: string;
  message: string;
}

/** Bad configuration: the message names every bad variable, and never a value. */
export class SettingsError extends EngineError {
  readonly issues: readonly SettingsIssue[];

  constructor(issues: SettingsIssue[]) {
    super(
      "INVALID_SETTINGS",
      `Invalid configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join("\n")}`,
      { variables: issues.map((issue) => issue.variable) },
    );
    this.issues = issues;
  }
}

/**
 * Reads settings from the environment with a schema whose keys are variable names.
 * @throws SettingsError naming each bad or missing variable
 */
export function loadSettings<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new SettingsError(
    parsed.error.issues.map((issue) => ({
      variable: issue.path.map(String).join(".") || "(environment)",
      message: issue.message,
    })),
  );
}

/**
 * Reads several schemas at once so one start-up reports every bad variable, not the first.
 * @throws SettingsError naming each bad or missing variable of every schema
 */
export function loadAllSettings<const T extends readonly z.ZodType[]>(
  schemas: T,
  env: Env,
): { [K in keyof T]: z.infer<T[K]> } {
  const issues: SettingsIssue[] = [];
  const values = schemas.map((schema) => {
    try {
      return loadSettings(schema, env);
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      issues.push(...error.issues);
      return undefined;
    }
  });
  if (issues.length > 0) throw new SettingsError(issues);
  return values as { [K in keyof T]: z.infer<T[K]> };
}
