import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("the tick shape matcher's module", () => {
  it("is what wasm/tick-shape-match.ts compiles to (run build:wasm after changing it)", () => {
    const script = fileURLToPath(new URL("../scripts/build-wasm.mjs", import.meta.url));
    const check = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  }, 30_000);
});
