import { readFileSync } from "node:fs";
import { silentLogger } from "@engine/core";
import { describe, expect, it } from "vitest";
import { Engine } from "./engine.js";

/** `.env.example` as an environment: what an operator copying it would start with. */
function exampleEnv(): Record<string, string> {
  const text = readFileSync(new URL("../../../../.env.example", import.meta.url), "utf8");
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1]) env[match[1]] = match[2] ?? "";
  }
  return env;
}

describe(".env.example", () => {
  it("is a valid configuration of the engine and every shipped plugin", async () => {
    const env = exampleEnv();
    expect(Object.keys(env).length).toBeGreaterThan(30);
    const { settings, pluginSettings } = await new Engine({
      env,
      logger: silentLogger,
    }).configure();
    expect(settings.kafka?.brokers).toEqual(["127.0.0.1:9092"]);
    expect(pluginSettings.get("paper")?.enabled).toBe(true);
    expect(pluginSettings.get("zerodha")?.enabled).toBe(false);
  });

  it("documents every variable the engine names in a configuration error", async () => {
    const documented = new Set(Object.keys(exampleEnv()));
    // Every variable set to nonsense, except the plugin list, which would be imported.
    const bad = Object.fromEntries(
      [...documented]
        .filter((name) => name !== "ENGINE_PLUGIN_MODULES")
        .map((name) => [name, "\u0000not valid\u0000"]),
    );
    const failure = await new Engine({ env: bad, logger: silentLogger })
      .configure()
      .catch((e: Error) => e);
    const named = [...String((failure as Error).message).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map(
      (m) => m[1],
    );
    expect(named.length).toBeGreaterThan(10);
    for (const name of named) expect(documented).toContain(name);
  });
});

describe("per-namespace settings", () => {
  it("refuses at start a namespace no plugin serves, naming the variable and the namespace", async () => {
    const failure = await new Engine({
      env: {
        RISK_LIMITS_BY_NAMESPACE: "zeroda.max_orders_per_day=500",
        ORDER_TTL_MS_BY_NAMESPACE: "upstx=60000",
      },
      logger: silentLogger,
    })
      .configure()
      .catch((e: Error) => e);
    expect(String(failure)).toContain('RISK_LIMITS_BY_NAMESPACE: unknown namespace "zeroda"');
    expect(String(failure)).toContain('ORDER_TTL_MS_BY_NAMESPACE: unknown namespace "upstx"');
  });
});
