import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/test-support/global-setup.ts"],
          // The files share one Kafka broker and its topics: one engine at a time.
          fileParallelism: false,
          // A file's fixtures (test/integration/test-support/fixtures.ts) are set up inside its
          // first test: that test's budget is the setup's and its own.
          testTimeout: 240_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
