import { defineConfig } from "vitest/config";

/**
 * Market hours must not depend on the host's time zone, so its test runs once per zone below
 * (the test checks that the zone really took effect); everything else runs once.
 */
const MARKET_HOURS_TEST = "src/market-hours/market-hours-checker.test.ts";
const HOST_TIME_ZONES = ["UTC", "America/New_York", "Asia/Kolkata"] as const;

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["src/**/*.test.ts"], exclude: [MARKET_HOURS_TEST] },
      },
      ...HOST_TIME_ZONES.map((timeZone) => ({
        extends: true as const,
        test: {
          name: `market-hours TZ=${timeZone}`,
          include: [MARKET_HOURS_TEST],
          env: { TZ: timeZone },
        },
      })),
    ],
  },
});
