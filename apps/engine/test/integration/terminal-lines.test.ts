import { type ChildProcess, spawn } from "node:child_process";
import { stripVTControlCharacters } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_INSTRUMENTS } from "../../src/embedded/market-simulator.js";
import { childEnv, ENGINE_APP_DIR, freePort, sleep } from "./test-support/engine-process.js";

/** An embedded engine started in a pseudo-terminal (util-linux `script`), its output kept. */
class TerminalEngine {
  readonly child: ChildProcess;
  output = "";
  readonly exited: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv) {
    // -q: no banner; -f: flush at once; -e: exit with the engine's code; log to /dev/null.
    this.child = spawn("script", ["-qfec", `${process.execPath} dist/main.js start`, "/dev/null"], {
      cwd: ENGINE_APP_DIR,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding("utf8").on("data", (chunk: string) => {
        this.output += chunk;
      });
    }
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  /** The lines printed so far, without colours, carriage returns or blanks. */
  lines(): string[] {
    return stripVTControlCharacters(this.output)
      .split(/\r?\n/)
      .map((line) => line.replace(/\r/g, ""))
      .filter((line) => line.trim() !== "");
  }

  async waitFor(what: string, count: number, match: (line: string) => boolean): Promise<string[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = this.lines().filter(match);
      if (found.length >= count) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${count} × ${what} in the terminal; it showed:\n${this.output}`);
      }
      await sleep(100);
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }
}

const SYMBOLS = DEMO_INSTRUMENTS.map((instrument) => instrument.symbol).join("|");
/** `09:15:02.113  paper  BUY  10  RELIANCE  @  2,841.50  fees  2.13  demo_random_walk  FILLED  4.2 ms` */
const FILL_LINE = new RegExp(
  `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +paper +(BUY|SELL) +\\d+ +(${SYMBOLS}) +@ +[\\d,]+\\.\\d\\d +fees +[\\d,]+\\.\\d\\d +demo_random_walk +FILLED( +\\d+\\.\\d ms)?$`,
);

describe("engine start in a terminal", () => {
  let engine: TerminalEngine | undefined;

  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
  });

  it("prints one aligned, coloured line per result with the instrument's symbol, and its logs beside them", async () => {
    engine = new TerminalEngine(
      childEnv({ HTTP_PORT: String(await freePort()), LOG_LEVEL: "info", FORCE_COLOR: "1" }),
    );
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

  it("refuses to start on a LOG_FORMAT it does not know, naming the variable", async () => {
    engine = new TerminalEngine(
      childEnv({ HTTP_PORT: String(await freePort()), LOG_FORMAT: "rainbow" }),
    );
    expect(await engine.exited).toBe(2);
    expect(engine.output).toContain("LOG_FORMAT");
  });
});
