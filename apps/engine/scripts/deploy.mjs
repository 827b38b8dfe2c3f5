#!/usr/bin/env node
// `pnpm deploy:engine [folder]` from the repository root: builds the engine and the workspace
// packages it uses, then writes to `folder` (default: dist-deploy/engine at the root) a
// self-contained copy of it that runs with `node dist/main.js start` on a machine with only
// Node 24 or later. apps/engine/Dockerfile builds its image with this same script, and
// test/integration/deployed-artifact.test.ts runs it and starts what it wrote from another folder.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const ENGINE_DIR = join(REPO_ROOT, "apps", "engine");
const ENGINE = "@engine/engine";
const DEFAULT_TARGET = join(REPO_ROOT, "dist-deploy", "engine");

/**
 * pnpm's records of the install it made (its lockfile, its state in node_modules): pnpm reads
 * them, Node never does, and they name the workspace folder the packages came from.
 */
const INSTALL_RECORDS = [
  "pnpm-lock.yaml",
  "node_modules/.modules.yaml",
  "node_modules/.pnpm-workspace-state-v1.json",
  "node_modules/.pnpm/lock.yaml",
];

const HELP = `Usage: pnpm deploy:engine [folder]

Builds @engine/engine and the workspace packages it uses, then writes a self-contained copy of
it (production dependencies only, workspace packages as real copies) to <folder>, by default
dist-deploy/engine. Run it there with: node dist/main.js start
A folder that holds an earlier deployment is replaced; any other non-empty folder is refused.`;

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  allowPositionals: true,
  options: { help: { type: "boolean", short: "h", default: false } },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (positionals.length > 1) fail(`one folder at most, got: ${positionals.join(" ")}`);

// Run as the root script, pnpm starts this in the root: a relative folder is the caller's.
const callerDir =
  process.env.npm_lifecycle_event === "deploy:engine"
    ? (process.env.INIT_CWD ?? process.cwd())
    : process.cwd();
const target = positionals[0] === undefined ? DEFAULT_TARGET : resolve(callerDir, positionals[0]);

clearTarget(target);
pnpm(["exec", "turbo", "run", "build", `--filter=${ENGINE}...`, "--output-logs=errors-only"]);
// pnpm 10 deploys from injected workspace packages only (or with --legacy, which links the
// deployed folder back to the workspace). Injecting for this command alone keeps the workspace's
// own links as they are: injected everywhere, a package whose peers resolve differently in the
// engine (trader-upstox) would be a copy taken at install, before its dist was built.
pnpm(["--config.inject-workspace-packages=true", `--filter=${ENGINE}`, "deploy", "--prod", target]);
writeManifest(target);
for (const record of INSTALL_RECORDS) rmSync(join(target, record), { force: true });
removeBinShims(join(target, "node_modules"));
console.log(`[deploy] ${ENGINE} deployed to ${target}: run \`node dist/main.js start\` there`);

/** Empties `folder` when it holds an earlier deployment; refuses any other non-empty folder. */
function clearTarget(folder) {
  if (!existsSync(folder) || readdirSync(folder).length === 0) return;
  let name = null;
  try {
    name = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")).name;
  } catch {
    // no manifest: not a deployment
  }
  if (name !== ENGINE) fail(`${folder} is not empty and holds no earlier deployment of ${ENGINE}`);
  rmSync(folder, { recursive: true });
}

/**
 * The deployed package.json: what Node and an operator read (module type, engines, entry
 * points, the exact versions installed). pnpm's copy still lists the devDependencies, and
 * points its workspace dependencies and the kafkajs patch at files of the repository.
 */
function writeManifest(folder) {
  const source = JSON.parse(readFileSync(join(ENGINE_DIR, "package.json"), "utf8"));
  const dependencies = {};
  for (const name of Object.keys(source.dependencies).sort()) {
    const installed = join(folder, "node_modules", name, "package.json");
    if (!existsSync(installed)) fail(`${name} is missing from the deployed node_modules`);
    dependencies[name] = JSON.parse(readFileSync(installed, "utf8")).version;
  }
  const manifest = {
    name: source.name,
    version: source.version,
    private: source.private,
    description: source.description,
    license: source.license,
    type: source.type,
    engines: source.engines,
    bin: source.bin,
    exports: source.exports,
    scripts: { start: source.scripts.start, migrate: source.scripts.migrate },
    dependencies,
  };
  writeFileSync(join(folder, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Removes every `node_modules/.bin`: pnpm's shims there name the folder they were written in by
 * its absolute path, so they break once the folder moves (into an image, onto a server), and
 * nothing the engine runs calls them.
 */
function removeBinShims(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    // Symbolic links are pnpm's links between packages: each package is walked once, in .pnpm.
    if (!entry.isDirectory()) continue;
    const path = join(folder, entry.name);
    if (entry.name === ".bin") rmSync(path, { recursive: true });
    else removeBinShims(path);
  }
}

/** Runs pnpm in the repository root; a failure ends the deployment with its exit code. */
function pnpm(args) {
  console.log(`[deploy] pnpm ${args.join(" ")}`);
  const run = spawnSync("pnpm", args, { cwd: REPO_ROOT, stdio: "inherit" });
  if (run.error) fail(`pnpm could not be started: ${run.error.message}`);
  if (run.status !== 0) fail(`pnpm ${args.join(" ")} failed (exit ${run.status ?? run.signal})`, 1);
}

function fail(message, code = 2) {
  console.error(`[deploy] ${message}`);
  process.exit(code);
}
