#!/usr/bin/env node
// The engine's benchmark suite: `pnpm bench` (builds first), or `node bench/run.mjs` after a
// build. Needs Kafka and PostgreSQL (`pnpm services:up`). See the README's "Benchmarks".
import { parseArgs } from "node:util";
import { RESULTS_DIR } from "./lib/engine-process.mjs";
import { machine } from "./lib/machine.mjs";
import { printTable, tableRows, writeResults } from "./lib/report.mjs";
import { checkServices, cleanup, createDatabase } from "./lib/services.mjs";

const SECTIONS = ["ticks", "latency", "following", "hot", "memory", "restart"];
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
const only = values.only ? values.only.split(",").map((s) => s.trim()) : SECTIONS;
for (const section of only) {
  if (!SECTIONS.includes(section)) {
    console.error(`unknown section "${section}"; expected some of ${SECTIONS.join(", ")}`);
    process.exit(2);
  }
}
const number = (text, name) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} expects a positive number`);
    process.exit(2);
  }
  return value;
};

const runId = Date.now().toString(36);
const started = performance.now();
const log = (message) =>
  console.log(
    `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`,
  );
const ctx = {
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
  databaseUrl: null,
};

const results = {
  date: new Date().toISOString(),
  machine: machine(),
  run: { id: runId, quick: ctx.quick, sections: only, soak_minutes: ctx.soakMinutes },
};
const distributions = [];
const errors = {};

let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log("interrupted: cleaning up (Ctrl-C again to leave at once)");
  cleanup().finally(() => process.exit(130));
});

try {
  await checkServices();
  ctx.databaseUrl = await createDatabase(`bench_${runId}`);
  log(`run ${runId}: ${only.join(", ")}${ctx.quick ? " (quick)" : ""}`);
  const sections = {
    ticks: async () => (await import("./sections/ingest.mjs")).runIngest(ctx),
    hot: async () => (await import("./sections/hot-paths.mjs")).runHotPaths(ctx),
    latency: async () => (await import("./sections/latency.mjs")).runLatency(ctx),
    following: async () => (await import("./sections/following.mjs")).runFollowing(ctx),
    memory: async () => (await import("./sections/memory.mjs")).runMemory(ctx),
    restart: async () => (await import("./sections/restart.mjs")).runRestart(ctx),
  };
  for (const name of SECTIONS.filter((section) => only.includes(section))) {
    try {
      const { distributions: found, ...figures } = await sections[name]();
      Object.assign(results, figures);
      if (found) distributions.push(...found);
    } catch (error) {
      errors[name] = error instanceof Error ? error.message : String(error);
      // biome-ignore lint/suspicious/noUndeclaredEnvVars: a debugging switch
      if (process.env.BENCH_DEBUG) console.error(error);
      log(`${name} failed: ${errors[name]}`);
    }
  }
} catch (error) {
  errors.setup = error instanceof Error ? error.message : String(error);
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
