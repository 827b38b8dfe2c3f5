import type { PlopTypes } from "@turbo/gen";

/**
 * `pnpm gen:trader <name>`: scaffolds `packages/trader-<name>`, a broker package that builds, and
 * whose conformance test runs, from the first minute. Its trader fails every order with a message
 * saying it is a stub; see docs/adding-a-broker.md for what to do next.
 */
export default function generator(plop: PlopTypes.NodePlopAPI): void {
  plop.setGenerator("trader", {
    description: "A broker package: plugin, settings, a stub trader and the conformance test",
    prompts: [
      {
        type: "input",
        name: "name",
        message: "Broker name (lower case, e.g. angelone): the package is @engine/trader-<name>",
        validate: (input: string) =>
          /^[a-z][a-z0-9]*$/.test(input) || "lower-case letters and digits, starting with a letter",
      },
    ],
    actions: [
      // A published package carries the repository's licence file (npm packs it beside `dist`).
      {
        type: "add" as const,
        path: "{{ turbo.paths.root }}/packages/trader-{{name}}/LICENSE",
        templateFile: "../../LICENSE",
        abortOnFail: true,
      },
      ...[
        "package.json",
        "tsconfig.json",
        "tsconfig.build.json",
        "typedoc.json",
        "vitest.config.ts",
        "README.md",
        "src/index.ts",
        "src/{{name}}-settings.ts",
        "src/{{name}}-trader.ts",
        "src/{{name}}-plugin.ts",
        "src/{{name}}-trader.conformance.test.ts",
      ].map((file) => ({
        type: "add" as const,
        path: `{{ turbo.paths.root }}/packages/trader-{{name}}/${file}`,
        templateFile: `templates/trader/${file.replace("{{name}}", "name")}.hbs`,
        abortOnFail: true,
      })),
    ],
  });
}
