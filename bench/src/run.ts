#!/usr/bin/env node
// The engine's benchmark suite: `pnpm bench` (builds first), or `node bench/src/run.ts` after a
// build (Node runs the TypeScript as it is, its types stripped). Needs Kafka and PostgreSQL (`pnpm services:up`). See the README's "Benchmarks".
import { parseArgs } from "node:util";
import type { BenchContext, LatencyDistribution } from "./lib/context.ts";
import { RESULTS_DIR } from "./lib/engine-process.ts";
import { machine } from "./lib/machine.ts";
import { printTable, type Results, tableRows, writeResults } from "./lib/report.ts";
import { checkServices, cleanup, createDatabase, messageOf } from "./lib/services.ts";

const SECTIONS = ["ticks", "latency", "following", "hot", "memory", "restart"] as const;
type Section = (typeof SECTIONS)[number];
const isSection = (name: string): name is Section => (SECTIONS as readonly string[]).includes(name);
const HELP = `Usage: pnpm bench [-- options]

  --quick              short run: 100k ticks, 5 s latency phases, 30 s of order following,
                       1 min soak (unless given)
  --only <list>        comma-separated sections: ${SECTIONS.join(",")} (default: all)
  --soak-minutes <n>   memory soak after the warm-up (default 10; 1 with --quick)
  --restarts <n>       SIGKILL-and-restart rounds of the restart section (default 5; 2 with --quick)
  --ticks <n>          ticks in the ingest topic (default 500000; 100000 with --quick)
  --cpu-prof           run the engine under --cpu-prof (profiles in bench/results/profiles)
  -h, --help           this text

Results: a table here, bench/results/latest.json and bench/results/latency.svg.`;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    "soak-minutes": { type: "string" },
    ticks: { type: "string" },
    restarts: { type: "string" },
    "cpu-prof": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const asked = values.only ? values.only.split(",").map((s) => s.trim()) : [...SECTIONS];
const only: Section[] = [];
for (const section of asked) {
  if (!isSection(section)) {
    console.error(`unknown section "${section}"; expected some of ${SECTIONS.join(", ")}`);
    process.exit(2);
  }
  only.push(section);
}
const number = (text: string, name: string) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} expects a positive number`);
    process.exit(2);
  }
  return value;
};

const runId = Date.now().toString(36);
const started = performance.now();
const log = (message: string) =>
  console.log(
    `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`,
  );
const settings: Omit<BenchContext, "databaseUrl"> = {
  runId,
  quick: values.quick,
  soakMinutes: values["soak-minutes"]
    ? number(values["soak-minutes"], "soak-minutes")
    : values.quick
      ? 1
      : 10,
  ticks: values.ticks ? Math.round(number(values.ticks, "ticks")) : undefined,
  restarts: values.restarts ? Math.round(number(values.restarts, "restarts")) : undefined,
  cpuProfile: values["cpu-prof"],
  log,
};

const results: Results = {
  date: new Date().toISOString(),
  machine: machine(),
  run: { id: runId, quick: settings.quick, sections: only, soak_minutes: settings.soakMinutes },
};
const distributions: LatencyDistribution[] = [];
const errors: Record<string, string> = {};

let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log("interrupted: cleaning up (Ctrl-C again to leave at once)");
  cleanup().finally(() => process.exit(130));
});

try {
  await checkServices();
  const ctx: BenchContext = { ...settings, databaseUrl: await createDatabase(`bench_${runId}`) };
  log(`run ${runId}: ${only.join(", ")}${ctx.quick ? " (quick)" : ""}`);
  const sections: Record<
    Section,
    () => Promise<Partial<Results> & { distributions?: LatencyDistribution[] }>
  > = {
    ticks: async () => (await import("./sections/ingest.ts")).runIngest(ctx),
    hot: async () => (await import("./sections/hot-paths.ts")).runHotPaths(ctx),
    latency: async () => (await import("./sections/latency.ts")).runLatency(ctx),
    following: async () => (await import("./sections/following.ts")).runFollowing(ctx),
    memory: async () => (await import("./sections/memory.ts")).runMemory(ctx),
    restart: async () => (await import("./sections/restart.ts")).runRestart(ctx),
  };
  for (const name of SECTIONS.filter((section) => only.includes(section))) {
    try {
      const { distributions: found, ...figures } = await sections[name]();
      Object.assign(results, figures);
      if (found) distributions.push(...found);
    } catch (error) {
      errors[name] = messageOf(error);
      if (process.env.BENCH_DEBUG) console.error(error);
      log(`${name} failed: ${errors[name]}`);
    }
  }
} catch (error) {
  errors.setup = messageOf(error);
  log(errors.setup);
} finally {
  await cleanup();
}

if (Object.keys(errors).length > 0) results.errors = errors;
results.run.seconds = Math.round((performance.now() - started) / 1000);
writeResults(RESULTS_DIR, results, distributions);
printTable(tableRows(results), results.machine);
log(
  `figures in bench/results/latest.json${distributions.length ? ", chart in bench/results/latency.svg" : ""}`,
);
process.exit(Object.keys(errors).length > 0 ? 1 : 0);
