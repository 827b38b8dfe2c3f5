// Runs the latency baseline (relay-process.ts) in a process of its own, as the engine runs.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childEnv, RESULTS_DIR, stopChild } from "./engine-process.ts";

const RELAY_MAIN = fileURLToPath(new URL("./relay-process.ts", import.meta.url));

/** The options of `RelayProcess.start`: Kafka topics and group, and its log's name. */
export interface RelayOptions {
  name: string;
  brokers: string;
  input: string;
  output: string;
  group: string;
  timeoutMs?: number;
}

export class RelayProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  /** Starts a relay from `input` to `output`; resolves once its consumer joined its group. */
  static async start({
    name,
    brokers,
    input,
    output,
    group,
    timeoutMs = 60_000,
  }: RelayOptions): Promise<RelayProcess> {
    mkdirSync(join(RESULTS_DIR, "logs"), { recursive: true });
    const log = join(RESULTS_DIR, "logs", `${name}.log`);
    const child = spawn(process.execPath, [RELAY_MAIN], {
      env: childEnv({
        KAFKA_BROKERS: brokers,
        RELAY_IN: input,
        RELAY_OUT: output,
        RELAY_GROUP: group,
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = createWriteStream(log);
    child.stderr.pipe(out);
    const relay = new RelayProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`relay not ready in ${timeoutMs} ms; see ${log}`));
      }, timeoutMs);
      child.stdout.on("data", (chunk: Buffer) => {
        out.write(chunk);
        if (chunk.toString().includes("relay ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        reject(new Error(`relay exited (${code}); see ${log}`));
      });
    });
    return relay;
  }

  constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.on("close", resolve));
  }

  stop(): Promise<number | null> {
    return stopChild(this.child, this.exited);
  }
}
