import { describe, expect } from "vitest";
import { DEMO_INSTRUMENTS } from "../../src/embedded/market-simulator.js";
import { childEnv, freePort, type ProcessEnv } from "./test-support/engine-process.js";
import { FILE_SCOPE, integrationTest } from "./test-support/fixtures.js";
import { TerminalEngine } from "./test-support/terminal.js";

/**
 * `startInTerminal(env)`: the embedded engine (`engine start`, no services) in a pseudo-terminal
 * on a free HTTP port, with only `env`; stopped after the test.
 */
const it = integrationTest
  .extend("options", FILE_SCOPE, { label: "terminal" })
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from its destructuring
  .extend("startInTerminal", async ({}, { onCleanup }) => {
    const started: TerminalEngine[] = [];
    onCleanup(async () => {
      for (const engine of started) await engine.stop();
    });
    return async (env: ProcessEnv): Promise<TerminalEngine> => {
      const engine = new TerminalEngine(childEnv({ HTTP_PORT: String(await freePort()), ...env }));
      started.push(engine);
      return engine;
    };
  });

const SYMBOLS = DEMO_INSTRUMENTS.map((instrument) => instrument.symbol).join("|");
/** `09:15:02.113  paper  BUY  10  RELIANCE  @  2,841.50  fees  2.13  demo_random_walk  FILLED  4.2 ms` */
const FILL_LINE = new RegExp(
  `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +paper +(BUY|SELL) +\\d+ +(${SYMBOLS}) +@ +[\\d,]+\\.\\d\\d +fees +[\\d,]+\\.\\d\\d +demo_random_walk +FILLED( +\\d+\\.\\d ms)?$`,
);

describe("engine start in a terminal", () => {
  it("prints one aligned, coloured line per result with the instrument's symbol, and its logs beside them", async ({
    startInTerminal,
  }) => {
    const engine = await startInTerminal({ LOG_LEVEL: "info", FORCE_COLOR: "1" });
    const fills = await engine.waitFor("fill line", 2, (line) => FILL_LINE.test(line));
    // The "@" of every fill in the same column: aligned.
    expect(new Set(fills.map((line) => line.indexOf("@"))).size).toBe(1);
    // Coloured (FILLED in green), and no JSON result log as well.
    expect(engine.output).toContain("\u001b[32mFILLED");
    expect(engine.lines().some((line) => line.includes("order filled"))).toBe(false);
    // The start-up logs are still there, one line each.
    expect(engine.lines().some((line) => /INFO.*trading engine consuming/.test(line))).toBe(true);
    expect(await engine.stop()).toBe(0);
  });

  it("refuses to start on a LOG_FORMAT it does not know, naming the variable", async ({
    startInTerminal,
  }) => {
    const engine = await startInTerminal({ LOG_FORMAT: "rainbow" });
    expect(await engine.exited).toBe(2);
    expect(engine.output).toContain("LOG_FORMAT");
  });
});
