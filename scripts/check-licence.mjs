// Every package carries the repository's licence in its `license` field, and every published one
// (not `private`) also the LICENSE file itself, identical to the root's: npm packs it beside
// `dist`, and a package without it ships no licence text. Only published packages have
// `publishConfig`. Exits 1 naming each package that does not.
import { existsSync, globSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const read = (path) => readFileSync(join(root, path), "utf8");
const licence = JSON.parse(read("package.json")).license;
const text = read("LICENSE");
// The workspace's package globs, as pnpm-workspace.yaml lists them under `packages:`.
const globs = read("pnpm-workspace.yaml")
  .split(/^\S.*:\s*$/m)[1]
  .split("\n")
  .map((line) => /^\s+-\s+"?([^"]+)"?\s*$/.exec(line)?.[1])
  .filter(Boolean);

const problems = [];
for (const manifestPath of globSync(
  globs.map((glob) => `${glob}/package.json`),
  { cwd: root },
)) {
  const dir = dirname(manifestPath);
  const manifest = JSON.parse(read(manifestPath));
  if (manifest.license !== licence) {
    problems.push(`${dir}: license is ${manifest.license}, the repository's is ${licence}`);
  }
  if (manifest.private) {
    if (manifest.publishConfig) problems.push(`${dir}: private, yet has publishConfig`);
  } else if (!existsSync(join(root, dir, "LICENSE")) || read(`${dir}/LICENSE`) !== text) {
    problems.push(`${dir}: published, but its LICENSE file is not the root's`);
  }
}
if (problems.length === 0) {
  console.log(`[licence] every package is ${licence}; published ones carry LICENSE`);
} else {
  console.error(`[licence] check failed:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
