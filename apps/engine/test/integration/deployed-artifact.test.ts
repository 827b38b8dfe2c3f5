import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { OrderFilledEventSchema } from "@engine/core";
import { Copy } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { describe, expect } from "vitest";
import { putStrategy } from "./test-support/database.js";
import {
  deployEngine,
  execForm,
  filesContaining,
  type ImageRecipe,
  type ImageStage,
  instructionsOf,
  isRealDirectory,
  linksLeaving,
  type PackageJson,
  REPO_ROOT,
  readImageRecipe,
  readPackageJson,
  run,
} from "./test-support/deployment.js";
import { ENGINE_APP_DIR, freePort, spawnedEngineVariables } from "./test-support/engine-process.js";
import { FILE_SCOPE, integrationTest } from "./test-support/fixtures.js";
import { asMessage, marketTick, validatedSignal } from "./test-support/messages.js";
import { randomToken } from "./test-support/probes.js";
import { sendSignals } from "./test-support/signal-stream.js";

/**
 * `recipe`: the Dockerfile, read; `deployment`: `pnpm deploy:engine` run into a clean folder
 * (its output in a failure report); the bench records paper's results.
 */
const it = integrationTest
  .extend("options", FILE_SCOPE, { label: "deploy", namespaces: ["paper"] })
  .extend("recipe", FILE_SCOPE, () => readImageRecipe())
  .extend("deployment", FILE_SCOPE, async ({ teardown, engines }) => {
    const deployment = await deployEngine(teardown);
    engines.diagnose(() => deployment.output);
    return deployment;
  });

/**
 * DevDependencies that pnpm installs all the same, and why. A dependency's peer that a
 * devDependency satisfies is bound into the dependency's own install, and `--prod` keeps it
 * (pnpm/pnpm#15344): @types/pg is drizzle-orm's optional peer. Type declarations, never loaded.
 */
const DEV_DEPENDENCIES_PNPM_KEEPS = new Set(["@types/pg"]);

/** The project's pinned Node (pnpm-workspace.yaml's nodeVersion, checked against the `node` devDependency). */
async function pinnedNodeVersion(): Promise<string> {
  const workspace = await readFile(join(REPO_ROOT, "pnpm-workspace.yaml"), "utf8");
  const version = /^nodeVersion:\s*(\S+)\s*$/m.exec(workspace)?.[1];
  if (!version) throw new Error("pnpm-workspace.yaml has no nodeVersion");
  return version;
}

/** The package names in a pnpm virtual store (`node_modules/.pnpm/@scope+name@1.2.3_peer…`). */
async function storedPackageNames(deployed: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const entry of await readdir(join(deployed, "node_modules", ".pnpm"))) {
    const at = entry.indexOf("@", 1);
    if (at > 0) names.add(entry.slice(0, at).replace("+", "/"));
  }
  return names;
}

/** Where Node finds package `name` from folder `from`: the nearest `node_modules/<name>` up to `root`. */
async function resolvePackage(from: string, name: string, root: string): Promise<string> {
  for (let folder = from; folder.startsWith(root); folder = dirname(folder)) {
    const candidate = join(folder, "node_modules", name);
    if (await stat(candidate).catch(() => null)) return candidate;
  }
  throw new Error(`${name} cannot be found from ${from}`);
}

/** The stage whose `RUN pnpm deploy:engine <folder>` makes the deployment, and that folder. */
function deployStep(recipe: ImageRecipe): { stage: ImageStage; folder: string } {
  for (const stage of recipe.stages) {
    for (const step of instructionsOf(stage, "RUN")) {
      const words = step.getArguments().map((a) => a.getValue());
      if (words[0] === "pnpm" && words[1] === "deploy:engine" && words[2]) {
        return { stage, folder: words[2] };
      }
    }
  }
  throw new Error("no stage of the Dockerfile runs `pnpm deploy:engine <folder>`");
}

function runtimeStage(recipe: ImageRecipe): ImageStage {
  const last = recipe.stages.at(-1);
  if (!last) throw new Error("the Dockerfile has no FROM");
  return last;
}

/** The runtime stage's exec-form CMD, or its HEALTHCHECK's command. */
function command(recipe: ImageRecipe, keyword: "CMD" | "HEALTHCHECK"): string[] {
  const [instruction, ...more] = instructionsOf(runtimeStage(recipe), keyword);
  if (!instruction || more.length > 0) throw new Error(`the runtime stage needs one ${keyword}`);
  const content = instruction.getArgumentsContent() ?? "";
  const words = execForm(keyword === "HEALTHCHECK" ? content.replace(/^CMD\s+/, "") : content);
  if (!words) throw new Error(`${keyword} is not in exec form: ${content}`);
  return words;
}

describe("the engine's image (apps/engine/Dockerfile), read without a Docker engine", () => {
  it("has nothing a Dockerfile validator (dockerfile-utils) reports", ({ recipe }) => {
    expect(validate(recipe.text)).toEqual([]);
  });

  it("builds in one stage and runs in another, both on the project's pinned Node", async ({
    recipe,
  }) => {
    const version = await pinnedNodeVersion();
    expect(recipe.stages.length).toBeGreaterThanOrEqual(2);
    const { stage: build } = deployStep(recipe);
    expect(build).not.toBe(runtimeStage(recipe));
    expect(build.name).toBeTruthy();
    for (const stage of recipe.stages) {
      expect(stage.image, `stage ${stage.name}`).toMatch(new RegExp(`^node:${version}-[a-z-]+$`));
    }
  });

  it("copies into the build only what the repository has, and into the runtime stage what the build deployed", async ({
    recipe,
  }) => {
    const { stage: build, folder } = deployStep(recipe);
    const ignored = (await readFile(join(REPO_ROOT, ".dockerignore"), "utf8"))
      .split("\n")
      .map((line) => line.trim().replace(/^\*\*\//, ""))
      .filter((line) => line !== "" && !line.startsWith("#"));
    const copies = instructionsOf(build, "COPY");
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const words = copy.getArguments().map((a) => a.getValue());
      for (const source of words.slice(0, -1)) {
        await expect(stat(join(REPO_ROOT, source)), source).resolves.toBeTruthy();
        expect(ignored, `${source} is left out by .dockerignore`).not.toContain(source);
      }
    }
    const fromBuild = instructionsOf(runtimeStage(recipe), "COPY").filter(
      (copy) => copy instanceof Copy && copy.getFromFlag()?.getValue() === build.name,
    );
    expect(fromBuild.map((copy) => copy.getArguments()[0]?.getValue())).toEqual([folder]);
    // The build's step is the root script this file's deployment runs.
    const root = await readPackageJson(REPO_ROOT);
    expect(root.scripts?.["deploy:engine"]).toBe("node apps/engine/scripts/deploy.mjs");
  });

  it("runs the engine as a user other than root, on port 8080, with a health check by Node on /health", ({
    recipe,
  }) => {
    const runtime = runtimeStage(recipe);
    const user = instructionsOf(runtime, "USER").at(-1)?.getArgumentsContent() ?? "root";
    expect(["root", "0"]).not.toContain(user.split(":")[0]);
    const exposed = instructionsOf(runtime, "EXPOSE").flatMap((e) =>
      e.getArguments().map((a) => a.getValue()),
    );
    expect(exposed).toContain("8080");
    const healthcheck = command(recipe, "HEALTHCHECK");
    expect(healthcheck[0]).toBe("node");
    expect(healthcheck.join(" ")).toContain("/health");
    expect(command(recipe, "CMD")).toEqual(["node", "dist/main.js", "start"]);
  });
});

describe("the deployed engine (pnpm deploy:engine) runs from a clean folder with only Node", () => {
  // The deployment takes minutes: it and the bench are set up here, under the hook's budget,
  // not the first test's.
  it.beforeAll(({ bench: _bench, deployment: _deployed }) => {}, 300_000);

  it("holds the engine's production dependencies only, as files of its own, naming no folder of the repository", async ({
    deployment,
  }) => {
    const { dir } = deployment;
    const source = await readPackageJson(ENGINE_APP_DIR);
    const deployed = await readPackageJson(dir);
    expect(deployed).toMatchObject({ name: "@engine/engine", type: "module" });
    expect(deployed.engines?.node).toBe(">=24");
    expect(deployed.devDependencies).toBeUndefined();
    expect(Object.keys(deployed.dependencies ?? {})).toEqual(
      Object.keys(source.dependencies ?? {}).sort(),
    );
    for (const path of source.files ?? [])
      await expect(stat(join(dir, path))).resolves.toBeTruthy();
    const migrations = (await readdir(join(ENGINE_APP_DIR, "drizzle"))).filter((f) =>
      f.endsWith(".sql"),
    );
    expect(migrations.length).toBeGreaterThan(0);
    for (const file of [...migrations, "meta/_journal.json"]) {
      await expect(stat(join(dir, "drizzle", file))).resolves.toBeTruthy();
    }

    // Each workspace package, down to @engine/tick-codec (core's), is a real folder of the
    // deployment with what its `files` publishes and the module its export names.
    const workspacePackages: PackageJson[] = [];
    const pending = Object.keys(source.dependencies ?? {})
      .filter((name) => name.startsWith("@engine/"))
      .map((name) => join(dir, "node_modules", name));
    const seen = new Set<string>();
    for (let link = pending.pop(); link !== undefined; link = pending.pop()) {
      const real = await realpath(link);
      if (seen.has(real)) continue;
      seen.add(real);
      expect(real.startsWith(`${await realpath(dir)}/`), real).toBe(true);
      expect(await isRealDirectory(real), real).toBe(true);
      const pkg = await readPackageJson(real);
      workspacePackages.push(pkg);
      for (const path of pkg.files ?? [])
        await expect(stat(join(real, path))).resolves.toBeTruthy();
      const main = pkg.exports?.["."]?.default;
      expect(main, pkg.name).toBeDefined();
      await expect(stat(join(real, main ?? "")), `${pkg.name} ${main}`).resolves.toBeTruthy();
      for (const name of Object.keys(pkg.dependencies ?? {})) {
        if (name.startsWith("@engine/")) pending.push(await resolvePackage(real, name, dir));
      }
    }
    expect(new Set(workspacePackages.map((p) => p.name))).toEqual(
      new Set([
        "@engine/core",
        "@engine/tick-codec",
        "@engine/trader-paper",
        "@engine/trader-upstox",
        "@engine/trader-zerodha",
      ]),
    );

    // No devDependency of the engine or of its workspace packages, unless some deployed
    // package also depends on it at run time.
    const manifests = [source, ...workspacePackages];
    const production = new Set(manifests.flatMap((p) => Object.keys(p.dependencies ?? {})));
    const devOnly = manifests
      .flatMap((p) => Object.keys(p.devDependencies ?? {}))
      .filter((name) => !production.has(name) && !DEV_DEPENDENCIES_PNPM_KEEPS.has(name));
    expect(devOnly).toContain("vitest");
    const stored = await storedPackageNames(dir);
    expect(stored.has("kafkajs")).toBe(true);
    expect([...new Set(devOnly)].filter((name) => stored.has(name))).toEqual([]);

    expect(await linksLeaving(dir)).toEqual([]);
    expect(await filesContaining(dir, REPO_ROOT)).toEqual([]);
  });

  it("starts with the image's command, is ready on the real Kafka and PostgreSQL, fills a paper signal and exits 0 on SIGTERM", async ({
    bench,
    deployment,
    engines,
    recipe,
    site,
  }) => {
    const { dir } = deployment;
    const httpPort = await freePort();
    const token = randomToken();
    // Read by the engine's tick warm-up at start (the last two minutes of ticks).
    await bench.producer.send({
      topic: "market.ticks",
      acks: -1,
      messages: [asMessage(marketTick(token, 2500))],
    });

    // Only Node on PATH, and nothing of this process's environment but the engine's settings.
    const onlyNode = { PATH: dirname(process.execPath), HOME: dir };
    const [program, main, ...args] = command(recipe, "CMD");
    expect(program).toBe("node");
    const engine = engines.spawn(
      "deployed-engine",
      {
        ...spawnedEngineVariables("engine-it-deployed", {
          databaseUrl: bench.db.url,
          namespace: site.namespace,
          groupIdPrefix: site.groupIdPrefix,
          httpPort,
        }),
        ...onlyNode,
      },
      { ...(main ? { main } : {}), args, cwd: dir },
    );
    await engine.waitReady(60_000);

    const [node, ...probe] = command(recipe, "HEALTHCHECK");
    expect(node).toBe("node");
    const healthEnv = { ...onlyNode, HTTP_PORT: String(httpPort) };
    const healthy = await run(process.execPath, probe, dir, 10_000, healthEnv);
    expect(healthy, healthy.output).toMatchObject({ code: 0 });

    await putStrategy(bench.db, { id: "deployed_paper" });
    const signal = validatedSignal({ strategyId: "deployed_paper", instrumentToken: token });
    await sendSignals(bench.producer, site.signalTopic, [signal]);
    await bench.recorder.waitForResults(signal.id, ["paper.orders.filled"], 30_000, "paper fill");
    const [fill] = bench.recorder.causedBy("paper.orders.filled", signal.id);
    // Paper buys at the best ask of the tick sent before the start.
    expect(OrderFilledEventSchema.parse(fill?.json).data).toMatchObject({ fill_price: 2500.05 });

    const exit = await engine.stop("SIGTERM");
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(engine.logLines().some((line) => line.msg === "stopped")).toBe(true);
    const stopped = await run(process.execPath, probe, dir, 10_000, healthEnv);
    expect(stopped.code).not.toBe(0);
  });
});
