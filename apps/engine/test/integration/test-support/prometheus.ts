import { type ChildProcess, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, scratchDir } from "./engine-process.js";
import { eventually } from "./signal-stream.js";
import type { Teardown } from "./teardown.js";

/** A Prometheus HTTP API answer (`/api/v1/...`). */
export interface ApiAnswer<T> {
  status: "success" | "error";
  data: T;
  error?: string;
}

/** A real Prometheus server (Debian's binary, installed by scripts/services/prometheus.sh). */
export interface Prometheus {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** GETs an API path (`/api/v1/rules`). */
  api<T>(path: string): Promise<ApiAnswer<T>>;
  /** Runs an instant query. */
  query(expr: string): Promise<ApiAnswer<{ result: unknown[] }>>;
  /** Resolves once every target was scraped, successfully, after `since` (epoch ms). */
  scrapedSince(since: number): Promise<void>;
}

/** `eventually`, polling every 250 ms, with a check that throws (a server not listening yet) as not yet. */
export function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  return eventually(
    () => check().catch(() => false),
    ms,
    () => what,
    250,
  );
}

/**
 * Starts Prometheus on a free loopback port, scraping each job's target (`127.0.0.1:<port>`)
 * every second and evaluating `ruleFiles` every second, its data in a scratch folder; stopped
 * and removed at the teardown. Resolves once it is ready.
 * @throws Error with what Prometheus printed when it exits or is not ready within 30 s
 */
export async function startPrometheus(
  teardown: Teardown,
  options: { ruleFiles: readonly string[]; jobs: Record<string, number | null> },
): Promise<Prometheus> {
  const dir = scratchDir("prometheus");
  teardown.defer(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const jobs = Object.entries(options.jobs);
  writeFileSync(
    join(dir, "prometheus.yml"),
    JSON.stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: options.ruleFiles,
      scrape_configs: jobs.map(([job, target]) => ({
        job_name: job,
        static_configs: [{ targets: [`127.0.0.1:${target}`] }],
      })),
    }),
  );
  const server: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  server.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4_000);
  });
  teardown.defer(
    () =>
      new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once("exit", () => resolve());
        server.kill("SIGTERM");
      }),
  );
  await until("prometheus to be ready", async () => {
    if (server.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
    return (await fetch(`${url}/-/ready`)).ok;
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}\nprometheus said:\n${log}`);
  });

  async function api<T>(path: string): Promise<ApiAnswer<T>> {
    const response = await fetch(`${url}${path}`);
    return (await response.json()) as ApiAnswer<T>;
  }
  return {
    url,
    api,
    query: (expr) => api(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    scrapedSince: (since) =>
      until("every target scraped", async () => {
        const targets = await api<{
          activeTargets: { health: string; lastScrape: string }[];
        }>("/api/v1/targets");
        return (
          targets.data.activeTargets.length === jobs.length &&
          targets.data.activeTargets.every(
            (t) => t.health === "up" && Date.parse(t.lastScrape) > since,
          )
        );
      }),
  };
}
