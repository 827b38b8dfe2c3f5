import { spawn } from "node:child_process";
import { lstat, mkdir, readdir, readFile, realpath, rename, rm } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { type Dockerfile, DockerfileParser, type Instruction } from "dockerfile-ast";
import { z } from "zod";
import { ENGINE_APP_DIR, scratchDir } from "./engine-process.js";
import type { Teardown } from "./teardown.js";

/** The repository root: the Docker build context and where `pnpm deploy:engine` runs. */
export const REPO_ROOT = resolve(ENGINE_APP_DIR, "../..");
export const DOCKERFILE = join(ENGINE_APP_DIR, "Dockerfile");

/** The parts of a package.json these tests read. */
export const PackageJsonSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
  type: z.string().optional(),
  files: z.array(z.string()).optional(),
  engines: z.record(z.string(), z.string()).optional(),
  scripts: z.record(z.string(), z.string()).optional(),
  exports: z.record(z.string(), z.object({ default: z.string() })).optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  devDependencies: z.record(z.string(), z.string()).optional(),
});
export type PackageJson = z.infer<typeof PackageJsonSchema>;

export async function readPackageJson(dir: string): Promise<PackageJson> {
  return PackageJsonSchema.parse(JSON.parse(await readFile(join(dir, "package.json"), "utf8")));
}

/** One `FROM` of the Dockerfile and what follows it up to the next. */
export interface ImageStage {
  name: string | null;
  /** The base image, its build arguments resolved (`${NODE_IMAGE}` → `node:…`). */
  image: string;
  instructions: Instruction[];
}

/** The engine's Dockerfile as a build would read it. */
export interface ImageRecipe {
  text: string;
  parsed: Dockerfile;
  stages: ImageStage[];
}

/** Parses apps/engine/Dockerfile into its stages (dockerfile-ast, the VS Code Docker parser). */
export async function readImageRecipe(): Promise<ImageRecipe> {
  const text = await readFile(DOCKERFILE, "utf8");
  const parsed = DockerfileParser.parse(text);
  const buildArgs = new Map<string, string>();
  for (const arg of parsed.getInitialARGs()) {
    const name = arg.getProperty()?.getName();
    const value = arg.getProperty()?.getValue();
    if (name && value) buildArgs.set(name, value);
  }
  const stages: ImageStage[] = [];
  for (const instruction of parsed.getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const [image = "", as, name] = instruction.getArguments().map((a) => a.getValue());
      stages.push({
        name: as?.toUpperCase() === "AS" && name ? name : null,
        image: image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a, b) => buildArgs.get(a ?? b) ?? ""),
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { text, parsed, stages };
}

/** The instructions of a stage with this keyword, in order. */
export function instructionsOf(stage: ImageStage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.getKeyword() === keyword);
}

/** An exec-form (`["node", …]`) instruction's words; null when it is in shell form. */
export function execForm(text: string | null): string[] | null {
  if (!text?.trim().startsWith("[")) return null;
  return z.array(z.string()).parse(JSON.parse(text));
}

/** A deployment made by `pnpm deploy:engine`, moved out of where it was made. */
export interface Deployment {
  /** The folder the engine runs from: nothing of the repository, nor where it was deployed. */
  dir: string;
  /** The deployment's output, for failure messages. */
  output: string;
}

/**
 * Runs `pnpm deploy:engine` (the root script the Dockerfile's build stage runs) into a scratch
 * folder outside the repository, then moves what it wrote to another folder (as the image's
 * `COPY --from` puts it elsewhere): anything that still pointed at the place of deployment, or
 * at the repository, breaks. Removed at the teardown.
 */
export async function deployEngine(teardown: Teardown): Promise<Deployment> {
  const scratch = scratchDir("engine-deploy");
  teardown.defer(() => rm(scratch, { recursive: true, force: true }));
  const made = join(scratch, "made", "engine");
  const { code, output } = await run("pnpm", ["deploy:engine", made], REPO_ROOT, 300_000);
  if (code !== 0) throw new Error(`pnpm deploy:engine exited with ${code}\n${output}`);
  const dir = join(scratch, "clean", "engine");
  await mkdir(dirname(dir), { recursive: true });
  await rename(made, dir);
  await rm(join(scratch, "made"), { recursive: true });
  return { dir, output };
}

/** An entry of a folder tree. */
export interface TreeEntry {
  path: string;
  kind: "file" | "dir" | "link";
}

/** Every entry under `dir`, symbolic links not followed. */
export async function walk(dir: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    const kind = entry.isSymbolicLink() ? "link" : entry.isDirectory() ? "dir" : "file";
    entries.push({ path, kind });
  }
  return entries;
}

/** Symbolic links under `dir` whose target lies outside it, or nowhere. */
export async function linksLeaving(dir: string): Promise<string[]> {
  const root = await realpath(dir);
  const leaving: string[] = [];
  for (const { path, kind } of await walk(dir)) {
    if (kind !== "link") continue;
    const target = await realpath(path).catch(() => null);
    if (target === null || !(target === root || target.startsWith(`${root}${sep}`))) {
      leaving.push(`${path} -> ${target ?? "(nothing)"}`);
    }
  }
  return leaving;
}

/** Files under `dir` whose bytes contain `needle`. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const bytes = Buffer.from(needle);
  const found: string[] = [];
  for (const { path, kind } of await walk(dir)) {
    if (kind !== "file") continue;
    if ((await readFile(path)).includes(bytes)) found.push(path);
  }
  return found;
}

/** Whether `path` is a real folder (not a symbolic link to one). */
export async function isRealDirectory(path: string): Promise<boolean> {
  const stat = await lstat(path).catch(() => null);
  return stat?.isDirectory() ?? false;
}

/** Runs a command to its end (bounded), its output kept. */
export function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}
