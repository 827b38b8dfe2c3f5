import { describe, expect } from "vitest";
import { childEnv, ENGINE_APP_DIR, freePort } from "./test-support/engine-process.js";
import { FILE_SCOPE, integrationTest } from "./test-support/fixtures.js";

/** `engine_results_total` samples with these labels, whatever their order. */
function metricValue(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const matches = Object.entries(labels).every(([label, value]) =>
      line.includes(`${label}="${value}"`),
    );
    if (matches) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

const it = integrationTest.extend("options", FILE_SCOPE, { label: "embedded" });

describe("the README's run command on its embedded default", () => {
  it("streams paper fills without Kafka or PostgreSQL, counts them in /metrics and stops on SIGTERM", async ({
    engines,
  }) => {
    // No KAFKA_BROKERS, no DATABASE_URL: in-process bus, PGlite and the market simulator.
    const env = childEnv({ HTTP_PORT: String(await freePort()), LOG_LEVEL: "info" });
    expect(env.KAFKA_BROKERS).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
    // As the README runs it: the relative script, from the app's folder.
    const engine = engines.spawn("engine-embedded", env, {
      main: "dist/main.js",
      cwd: ENGINE_APP_DIR,
    });
    await engine.waitReady();
    expect(engine.logLines()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          msg: "starting trading engine",
          transport: "in-process",
          database: "embedded pglite",
        }),
      ]),
    );

    const fills = await engine.waitForLogs(
      (line) => line.msg === "order filled" && line.namespace === "paper",
      3,
      60_000,
      'msg "order filled" on paper',
    );
    for (const fill of fills) {
      expect(fill).toMatchObject({ outcome: "filled", strategy_id: "demo_random_walk" });
      expect(typeof fill.fill_price).toBe("number");
      // The demo's instruments by name, not only by token.
      expect(fill.symbol).toEqual(expect.stringMatching(/^(RELIANCE|INFY|TCS|HDFCBANK|SBIN)$/));
    }
    // Not a terminal: every line on stdout is a JSON log record, none a terminal result line.
    const printed = engine.stdout.split("\n").filter((line) => line.trim() !== "");
    expect(printed.length).toBeGreaterThan(3);
    expect(printed.filter((line) => !line.startsWith("{"))).toEqual([]);
    expect(engine.logLines()).toHaveLength(printed.length - (engine.stdout.endsWith("\n") ? 0 : 1));

    const metrics = await engine.http("/metrics");
    expect(metrics.status).toBe(200);
    expect(
      metricValue(metrics.body, "engine_results_total", { namespace: "paper", outcome: "filled" }),
    ).toBeGreaterThan(0);

    // The console's address is printed, and it serves the page and the fills it shows.
    const port = env.HTTP_PORT;
    expect(engine.logLines()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: `console: http://127.0.0.1:${port}/` }),
      ]),
    );
    const page = await engine.http("/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>Engine console</title>");
    const blotter = JSON.parse((await engine.http("/api/executions?state=filled")).body) as {
      executions: { namespace: string; strategy_id: string }[];
    };
    expect(blotter.executions.length).toBeGreaterThan(0);
    expect(blotter.executions[0]).toMatchObject({
      namespace: "paper",
      strategy_id: "demo_random_walk",
    });
    expect(JSON.parse((await engine.http("/api/lag")).body)).toMatchObject({ applicable: false });

    const exit = await engine.stop("SIGTERM");
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.durationMs).toBeLessThan(10_000);
  });
});
