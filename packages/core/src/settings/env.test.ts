import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  envBoolean,
  envEnum,
  envInteger,
  envList,
  envNumber,
  envOptional,
  loadAllSettings,
  loadSettings,
  SettingsError,
} from "./env.js";

describe("environment variable parsers", () => {
  it.each([
    [undefined, 7],
    ["", 7],
    ["  12 ", 12],
    ["1", 1],
    ["100", 100],
  ])("envInteger reads %j as %s", (value, expected) => {
    expect(envInteger(7, { min: 1, max: 100 }).parse(value)).toBe(expected);
  });

  it.each([
    "0",
    "101",
    "1.5",
    "ten",
    "12abc",
    "NaN",
    "Infinity",
    "0x10",
    "1e1",
    "+5",
    "10.0",
    "0b11",
  ])("envInteger rejects %j outside 1..100", (value) => {
    expect(envInteger(7, { min: 1, max: 100 }).safeParse(value).success).toBe(false);
  });

  it.each([
    [undefined, 0.5],
    ["0.25", 0.25],
    ["1", 1],
  ])("envNumber reads %j as %s", (value, expected) => {
    expect(envNumber(0.5, { min: 0, max: 1 }).parse(value)).toBe(expected);
  });

  it.each(["-0.1", "1.01", "Infinity", "half", "1e-1", "0x1", ".5", "+0.5"])(
    "envNumber rejects %j outside 0..1",
    (value) => {
      expect(envNumber(0.5, { min: 0, max: 1 }).safeParse(value).success).toBe(false);
    },
  );

  it("envList splits on commas, trimming and dropping empty items", () => {
    expect(envList().parse(" a, b ,,c ,")).toEqual(["a", "b", "c"]);
    expect(envList().parse(undefined)).toEqual([]);
    expect(envList().parse(" , ")).toEqual([]);
  });

  it("envOptional treats unset, empty and blank alike", () => {
    expect(envOptional().parse(undefined)).toBeUndefined();
    expect(envOptional().parse("")).toBeUndefined();
    expect(envOptional().parse("   ")).toBeUndefined();
    expect(envOptional().parse(" value ")).toBe("value");
  });

  it("envEnum is case-insensitive and defaults when unset", () => {
    const schema = envEnum(["nse", "always_open"], "nse");
    expect(schema.parse(undefined)).toBe("nse");
    expect(schema.parse("ALWAYS_OPEN")).toBe("always_open");
    expect(schema.safeParse("sometimes").success).toBe(false);
  });

  it("envBoolean defaults when unset", () => {
    expect(envBoolean(true).parse(undefined)).toBe(true);
    expect(envBoolean(false).parse("")).toBe(false);
  });
});

describe("loadAllSettings", () => {
  const engine = z.object({ HTTP_PORT: envInteger(8080, { min: 0, max: 65535 }) });
  const broker = z.object({
    ZERODHA_ENABLED: envBoolean(false),
    ZERODHA_API_KEY: z.string().min(1, "required"),
  });

  it("returns every schema's settings in order", () => {
    const [first, second] = loadAllSettings([engine, broker], {
      HTTP_PORT: "9000",
      ZERODHA_ENABLED: "yes",
      ZERODHA_API_KEY: "key",
    });
    expect(first).toEqual({ HTTP_PORT: 9000 });
    expect(second).toEqual({ ZERODHA_ENABLED: true, ZERODHA_API_KEY: "key" });
  });

  it("names the bad variables of every schema in one error", () => {
    let thrown: unknown;
    try {
      loadAllSettings([engine, broker], { HTTP_PORT: "99999", ZERODHA_ENABLED: "perhaps" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SettingsError);
    const error = thrown as SettingsError;
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      "HTTP_PORT",
      "ZERODHA_ENABLED",
      "ZERODHA_API_KEY",
    ]);
    for (const variable of ["HTTP_PORT", "ZERODHA_ENABLED", "ZERODHA_API_KEY"]) {
      expect(error.message).toContain(variable);
    }
    expect(error.message).not.toContain("99999");
    expect(error.message).not.toContain("perhaps");
  });

  it("rethrows what is not a settings problem", () => {
    const broken = z.object({}).transform(() => {
      throw new RangeError("bug in a schema");
    });
    expect(() => loadAllSettings([broken], {})).toThrow(RangeError);
  });
});

describe("loadSettings", () => {
  it("names the whole environment when the schema fails at the root", () => {
    const error = (() => {
      try {
        loadSettings(z.string(), {});
      } catch (caught) {
        return caught as SettingsError;
      }
      throw new Error("expected a SettingsError");
    })();
    expect(error.issues[0]?.variable).toBe("(environment)");
  });
});
