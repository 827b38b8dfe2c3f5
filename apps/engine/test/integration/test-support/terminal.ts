import { type ChildProcess, spawn } from "node:child_process";
import { stripVTControlCharacters } from "node:util";
import { ENGINE_APP_DIR, sleep } from "./engine-process.js";

/** An embedded engine started in a pseudo-terminal (util-linux `script`), its output kept. */
export class TerminalEngine {
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
