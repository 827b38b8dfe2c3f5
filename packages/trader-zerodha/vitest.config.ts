import { defineConfig } from "vitest/config";

/**
 * Three kinds of tests:
 * - unit tests, in parallel;
 * - the IST arithmetic once per host time zone, since it must not depend on it;
 * - integration tests (`test/integration/`) against the Kite emulator and PGlite, one file at a
 *   time after the rest: they measure rates and timeouts on the wall clock, and a busy neighbour
 *   would skew them.
 */
const IST_TEST = "src/ist-time.test.ts";
const HOST_TIME_ZONES = ["UTC", "America/New_York", "Asia/Kolkata"] as const;

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
          exclude: [IST_TEST],
          sequence: { groupOrder: 0 },
        },
      },
      ...HOST_TIME_ZONES.map((timeZone) => ({
        extends: true as const,
        test: {
          name: `ist-time TZ=${timeZone}`,
          include: [IST_TEST],
          env: { TZ: timeZone },
          sequence: { groupOrder: 0 },
        },
      })),
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
