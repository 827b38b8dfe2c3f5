import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KAFKA_BROKERS, LIVE_DEFAULT_LIMITS_OFF } from "./environment.js";
import type { Teardown } from "./teardown.js";

const here = dirname(fileURLToPath(import.meta.url));

/** The engine app's folder, where its README runs `node dist/main.js start`. */
export const ENGINE_APP_DIR = resolve(here, "../../..");
/** The built CLI: `pnpm --filter @engine/engine... build` makes it. */
export const ENGINE_MAIN = join(ENGINE_APP_DIR, "dist/main.js");
/** The live-broker stand-in, loaded by the spawned engine through ENGINE_PLUGIN_MODULES. */
export const LIVE_STANDIN_MODULE = resolve(here, "live-standin-plugin.mjs");

export type ProcessEnv = Record<string, string>;

/** How a process ended, and how long it took after it was told to stop. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the stop signal to the exit (from the spawn when it was never told to stop). */
  durationMs: number;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** A folder of its own for a test file's record files and logs. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

/**
 * The spawned engine's environment: only what a test passes, plus what node needs to run. Nothing
 * of the test runner's own environment leaks in (KAFKA_BROKERS or DATABASE_URL would change what
 * the engine does).
 */
export function childEnv(vars: ProcessEnv): ProcessEnv {
  const env: ProcessEnv = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG", "TZ"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...vars };
}

/** Where a spawned engine runs: its input namespace, consumer group, database and HTTP port. */
export interface SpawnedEngineSite {
  databaseUrl: string;
  namespace: string;
  groupIdPrefix: string;
  httpPort: number;
}

/**
 * The variables every spawned engine of these tests gets: the real Kafka and PostgreSQL, an
 * always-open market, a short strategy TTL, and info logs (what `dumpOnFailure` shows).
 */
export function spawnedEngineVariables(clientId: string, site: SpawnedEngineSite): ProcessEnv {
  return {
    KAFKA_BROKERS,
    KAFKA_CLIENT_ID: clientId,
    KAFKA_GROUP_ID_PREFIX: site.groupIdPrefix,
    DATABASE_URL: site.databaseUrl,
    BROKER_NAMESPACE: site.namespace,
    MARKET_HOURS_MODE: "always_open",
    STRATEGY_CONFIG_TTL_MS: "500",
    HTTP_PORT: String(site.httpPort),
    LOG_LEVEL: "info",
    ...LIVE_DEFAULT_LIMITS_OFF,
  };
}

/** The environment of an engine on the real Kafka and PostgreSQL with paper and the live stand-in. */
export function engineEnv(
  options: SpawnedEngineSite & { recordFile: string; extra?: ProcessEnv },
): ProcessEnv {
  return childEnv({
    ...spawnedEngineVariables("engine-it-process", options),
    ENGINE_PLUGIN_MODULES: LIVE_STANDIN_MODULE,
    LIVESIM_ENABLED: "true",
    LIVESIM_RECORD_FILE: options.recordFile,
    ...options.extra,
  });
}

/** The signals consumer group the engine forms from KAFKA_GROUP_ID_PREFIX. */
export function signalGroupId(groupIdPrefix: string): string {
  return `${groupIdPrefix}.trading_engine`;
}

/** A spawned engine (or any CLI run of it), its output kept for assertions and diagnostics. */
export class EngineProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly httpPort: number | null;
  readonly exited: Promise<ProcessExit>;
  #stdout = "";
  #stderr = "";
  #exit: ProcessExit | null = null;
  #startedAt = performance.now();
  #stopSentAt: number | null = null;
  readonly #log: WriteStream;

  constructor(options: {
    name: string;
    args: string[];
    env: ProcessEnv;
    logDir: string;
    cwd?: string;
    httpPort?: number | null;
  }) {
    this.name = options.name;
    this.httpPort = options.httpPort ?? null;
    this.logFile = join(options.logDir, `${options.name}.log`);
    this.#log = createWriteStream(this.logFile, { flags: "a" });
    this.child = spawn(process.execPath, options.args, {
      cwd: options.cwd ?? ENGINE_APP_DIR,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stdout += chunk;
      this.#log.write(chunk);
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr += chunk;
      this.#log.write(chunk);
    });
    this.exited = new Promise((resolveExit) => {
      // `close`, not `exit`: the output is complete by then.
      this.child.on("close", (code, signal) => {
        const from = this.#stopSentAt ?? this.#startedAt;
        this.#exit = { code, signal, durationMs: performance.now() - from };
        this.#log.end();
        resolveExit(this.#exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Everything it printed, both streams. */
  get output(): string {
    return `${this.#stdout}${this.#stderr}`;
  }

  get exit(): ProcessExit | null {
    return this.#exit;
  }

  /** The JSON log lines it printed on stdout (anything else is skipped). */
  logLines(): Record<string, unknown>[] {
    const lines: Record<string, unknown>[] = [];
    for (const line of this.#stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line still being written
      }
    }
    return lines;
  }

  /** Waits for `/ready` to answer 200; fails early, with the output, if the process exits. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    if (this.httpPort === null) throw new Error(`${this.name}: no HTTP port to probe`);
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
      if (this.#exit) {
        throw new Error(
          `${this.name} exited (code ${this.#exit.code}, signal ${this.#exit.signal}) before it was ready\n${this.tail()}`,
        );
      }
      try {
        const response = await fetch(`http://127.0.0.1:${this.httpPort}/ready`, {
          signal: AbortSignal.timeout(3_000),
        });
        if (response.status === 200) return;
        last = `${response.status} ${await response.text()}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(100);
    }
    throw new Error(
      `${this.name} not ready within ${timeoutMs} ms (last: ${last})\n${this.tail()}`,
    );
  }

  /** Waits until `count` log lines satisfy `match`. */
  async waitForLogs(
    match: (line: Record<string, unknown>) => boolean,
    count: number,
    timeoutMs: number,
    describe: string,
  ): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logLines().filter(match);
      if (found.length >= count) return found;
      if (this.#exit || Date.now() > deadline) {
        throw new Error(
          `${this.name}: ${found.length}/${count} log lines of ${describe} ${this.#exit ? "before it exited" : `within ${timeoutMs} ms`}\n${this.tail()}`,
        );
      }
      await sleep(100);
    }
  }

  /** Fetches a path of its HTTP server as text. */
  async http(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${this.httpPort}${path}`, {
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, body: await response.text() };
  }

  /**
   * Sends `signal` and waits for the exit. A process still alive after `timeoutMs` is killed
   * (the returned exit then shows SIGKILL, so the caller's assertion fails with it).
   */
  async stop(signal: NodeJS.Signals, timeoutMs = 20_000): Promise<ProcessExit> {
    if (this.#exit) return this.#exit;
    this.#stopSentAt = performance.now();
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills it if it still runs (cleanup). */
  async dispose(): Promise<void> {
    if (!this.#exit) await this.stop("SIGKILL", 5_000);
  }

  /** The last lines of its output, for failure messages. */
  tail(lines = 60): string {
    const all = this.output.trimEnd().split("\n");
    return [
      `--- ${this.name} (pid ${this.pid}), last ${Math.min(lines, all.length)} of ${all.length} lines; full log: ${this.logFile}`,
      ...all.slice(-lines),
      `--- end of ${this.name}`,
    ].join("\n");
  }
}

/** Spawns `node <main> <args>` (the built CLI, `start` by default). */
export function spawnEngine(options: {
  name: string;
  env: ProcessEnv;
  logDir: string;
  args?: string[];
  /** The script, absolute or relative to `cwd` (default: the built CLI's absolute path). */
  main?: string;
  cwd?: string;
}): EngineProcess {
  const port = options.env.HTTP_PORT ? Number(options.env.HTTP_PORT) : null;
  return new EngineProcess({
    name: options.name,
    args: [options.main ?? ENGINE_MAIN, ...(options.args ?? ["start"])],
    env: options.env,
    logDir: options.logDir,
    httpPort: port,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
}

/**
 * The engines a test file spawns, logging into one scratch folder, and what the file knows when
 * one of its tests fails. Each engine is killed at the teardown if it still runs, before anything
 * set up ahead of it is closed.
 */
export class SpawnedEngines {
  readonly logDir: string;
  readonly all: EngineProcess[] = [];
  readonly #teardown: Teardown;
  readonly #diagnoses: (() => string)[] = [];

  /** `diagnose` adds what the test file knows of the failure to their output. */
  constructor(teardown: Teardown, label: string, diagnose?: () => string) {
    this.#teardown = teardown;
    this.logDir = scratchDir(label);
    if (diagnose) this.#diagnoses.push(diagnose);
  }

  /**
   * `how`: another script or folder than the built CLI's absolute path, other arguments than
   * `start` (see `spawnEngine`).
   */
  spawn(
    name: string,
    env: ProcessEnv,
    how: { main?: string; cwd?: string; args?: string[] } = {},
  ): EngineProcess {
    const engine = spawnEngine({ name, logDir: this.logDir, env, ...how });
    this.all.push(engine);
    this.#teardown.defer(() => engine.dispose());
    return engine;
  }

  /** Adds to what a failure prints (an emulator's counters, a ledger's shortfalls); "" adds nothing. */
  diagnose(describe: () => string): void {
    this.#diagnoses.push(describe);
  }

  /** Prints their output, and the file's diagnoses, when the current test failed. */
  dumpOnFailure(state: string | undefined): void {
    const diagnoses = this.#diagnoses;
    dumpOnFailure(state, this.all, () =>
      diagnoses
        .map((describe) => describe())
        .filter((text) => text !== "")
        .join("\n"),
    );
  }
}

/** Runs a CLI command of the engine to its end (bounded). */
export async function runCli(options: {
  name: string;
  args: string[];
  env: ProcessEnv;
  logDir: string;
  timeoutMs?: number;
}): Promise<{ exit: ProcessExit; stdout: string; stderr: string; output: string }> {
  const engine = spawnEngine(options);
  const timer = setTimeout(() => engine.child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  try {
    const exit = await engine.exited;
    return { exit, stdout: engine.stdout, stderr: engine.stderr, output: engine.output };
  } finally {
    clearTimeout(timer);
  }
}

/** Prints the output of these processes when the current test failed. */
export function dumpOnFailure(
  state: string | undefined,
  processes: readonly (EngineProcess | undefined)[],
  extra?: () => string,
): void {
  if (state !== "fail") return;
  const parts = processes.filter((p): p is EngineProcess => p !== undefined).map((p) => p.tail());
  if (extra) parts.push(extra());
  process.stderr.write(`\n${parts.join("\n")}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
