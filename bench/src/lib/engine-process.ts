// The engine as the deployment runs it, `node apps/engine/dist/main.js start`, in a process of its
// own: the load generator and the measuring client never share its event loop or its heap.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type MetricSample, parseMetrics } from "./prometheus.ts";
import { messageOf } from "./services.ts";
import { sleep } from "./stats.ts";

// The engine's command line sits beside its package entry (dist/index.js) in the built app.
const ENGINE_MAIN = fileURLToPath(new URL("./main.js", import.meta.resolve("@engine/engine")));
/** bench/results/: the figures, the chart, the child processes' logs and CPU profiles. */
export const RESULTS_DIR = fileURLToPath(new URL("../../results/", import.meta.url));

/** A TCP port free on 127.0.0.1 at the time of asking. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Only what the child needs: nothing of the caller's environment changes what it does. */
export function childEnv(vars: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG", "TZ"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...vars };
}

/** SIGTERM, then SIGKILL if `child` has not exited 20 s later; resolves with its exit code. */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<number | null>,
): Promise<number | null> {
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** How to run an engine process. */
export interface EngineProcessOptions {
  /** Its log file's name, in bench/results/logs. */
  name: string;
  /** Its settings (environment variables). */
  env: Record<string, string>;
  /** Run it under `--cpu-prof`, the profile in bench/results/profiles. */
  cpuProfile?: boolean;
}

export class EngineProcess {
  readonly name: string;
  readonly port: number;
  /** Its log file's path. */
  readonly log: string;
  readonly child: ChildProcess;
  /** Resolves with its exit code once it exited. */
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;

  constructor({ name, env, cpuProfile = false, port }: EngineProcessOptions & { port: number }) {
    this.name = name;
    this.port = port;
    mkdirSync(join(RESULTS_DIR, "logs"), { recursive: true });
    const args = [];
    if (cpuProfile) {
      const dir = join(RESULTS_DIR, "profiles");
      mkdirSync(dir, { recursive: true });
      args.push("--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`);
    }
    args.push(ENGINE_MAIN, "start");
    this.log = join(RESULTS_DIR, "logs", `${name}.log`);
    const out = createWriteStream(this.log);
    this.child = spawn(process.execPath, args, {
      env: childEnv({ ...env, HTTP_PORT: String(port) }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.pipe(out);
    this.child.stderr?.pipe(out);
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
    this.exitCode = undefined;
    this.exited.then((code) => {
      this.exitCode = code;
    });
  }

  static async start(options: EngineProcessOptions): Promise<EngineProcess> {
    const engine = new EngineProcess({ ...options, port: await freePort() });
    await engine.waitReady();
    return engine;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = "no answer";
    while (performance.now() < deadline) {
      if (this.exitCode !== undefined) {
        throw new Error(`engine ${this.name} exited (${this.exitCode}); see ${this.log}`);
      }
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/ready`);
        if (response.status === 200) return;
        last = await response.text();
      } catch (error) {
        last = messageOf(error);
      }
      await sleep(200);
    }
    throw new Error(`engine ${this.name} not ready in ${timeoutMs} ms (${last}); see ${this.log}`);
  }

  /** The engine's counters from /metrics, summed over labels: `{ name: value }`. */
  async metrics(): Promise<Record<string, number>> {
    const response = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    const text = await response.text();
    const values: Record<string, number> = {};
    for (const line of text.split("\n")) {
      if (line.startsWith("#") || line.length === 0) continue;
      const space = line.lastIndexOf(" ");
      const name = line.slice(0, space).replace(/\{.*$/, "");
      values[name] = (values[name] ?? 0) + Number(line.slice(space + 1));
    }
    return values;
  }

  /** The engine's /metrics, labels kept: see `parseMetrics` in prometheus.ts. */
  async samples(): Promise<MetricSample[]> {
    const response = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return parseMetrics(await response.text());
  }

  /** Ticks the engine has read (`engine_ticks_total`). */
  async ticks(): Promise<number> {
    return (await this.metrics()).engine_ticks_total ?? 0;
  }

  /** Resident set size in MB, from /proc (Linux). */
  rssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return kb / 1024;
  }

  /** Stops it as an operator would (SIGTERM, graceful); kills it after 20 s. */
  async stop(): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    return stopChild(this.child, this.exited);
  }
}

/** The settings of an engine on the bench's Kafka and database. */
export function engineEnv({
  brokers,
  databaseUrl,
  namespace,
  groupPrefix,
  ticksTopic,
  extra = {},
}: {
  brokers: string;
  databaseUrl: string;
  namespace: string;
  groupPrefix: string;
  ticksTopic: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    KAFKA_CLIENT_ID: `engine-bench-${namespace}`,
    KAFKA_GROUP_ID_PREFIX: groupPrefix,
    DATABASE_URL: databaseUrl,
    BROKER_NAMESPACE: namespace,
    MARKET_TICKS_TOPIC: ticksTopic,
    KAFKA_TICKS_FROM_BEGINNING: "true",
    MARKET_HOURS_MODE: "always_open",
    LOG_LEVEL: "warn",
    // A live namespace's default pre-trade limits would refuse the bench's bursts: off.
    RISK_PRICE_COLLAR_PCT: "0",
    RISK_MAX_ORDERS_PER_MINUTE: "0",
    ...extra,
  };
}
