#!/usr/bin/env node
// Summarises a V8 CPU profile (`pnpm bench -- --cpu-prof` leaves the engine's in
// bench/results/profiles): self time by package and by function.
//   node bench/src/profile-summary.ts [file.cpuprofile | folder] [rows]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** What this reads of a V8 `.cpuprofile` (the DevTools protocol's `Profiler.Profile`). */
interface CpuProfile {
  nodes: { id: number; callFrame: { url: string; functionName: string; lineNumber: number } }[];
  /** The node sampled at each tick. */
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

const target = process.argv[2] ?? fileURLToPath(new URL("../results/profiles", import.meta.url));
const rows = Number(process.argv[3] ?? 20);
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((file) => file.endsWith(".cpuprofile"))
      .map((file) => join(target, file))
  : [target];

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    total += time;
    const { url, functionName, lineNumber } = node.callFrame;
    const where = !url
      ? functionName || "(native)"
      : url.includes("/.pnpm/")
        ? ((url.split("/.pnpm/")[1] ?? "").split("/")[0]?.replace(/@[\d.]+.*$/, "") ?? url)
        : url.startsWith("node:")
          ? "node internals"
          : url.split("/").slice(-3).join("/");
    byPackage.set(where, (byPackage.get(where) ?? 0) + time);
    const name = `${functionName || "(anonymous)"}  ${url ? `${url.split("/").slice(-2).join("/")}:${lineNumber + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
  }
  const print = (title: string, map: Map<string, number>) => {
    console.log(`  ${title}`);
    for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
      console.log(`    ${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`);
    }
  };
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
  print("self time by package", byPackage);
  print("self time by function", byFunction);
}
