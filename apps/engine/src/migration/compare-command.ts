import { writeFile } from "node:fs/promises";
import { envList } from "@engine/core";
import type { Command } from "commander";
import { startFollowing } from "./compare-follow-service.js";
import { runComparison } from "./compare-run.js";
import { parseDuration, parseWindow } from "./compare-window.js";
import { formatComparison } from "./comparison-text.js";
import { MigrationUsageError, reportCommandError } from "./migration-errors.js";
import { type MigrationSite, migrationSite } from "./migration-kafka.js";

interface CompareOptions {
  since?: string;
  from?: string;
  to?: string;
  grace: string;
  oldPrefix: string;
  newPrefix: string;
  namespaces?: string;
  topic?: string;
  json?: boolean;
  html?: string;
  follow?: boolean;
  port: string;
  settle: string;
}

/** Adds `engine compare` to the CLI. */
export function registerCompareCommand(program: Command): void {
  program
    .command("compare")
    .description(
      "Compare the old engine's results with this engine's (by default its shadow results) for the validated signals of a window: matches, silent drops, outcome/quantity/price/fee mismatches, latency.",
    )
    .option("--since <duration>", "the window: this long before --to (default 1h)")
    .option("--from <time>", "the window's start, ISO-8601 with an offset")
    .option("--to <time>", "the window's end, ISO-8601 with an offset (default: now)")
    .option("--grace <duration>", "read results this long after the window's end", "60s")
    .option("--old-prefix <prefix>", "topic prefix of the old engine's results", "")
    .option("--new-prefix <prefix>", "topic prefix of the new engine's results", "shadow.")
    .option("--namespaces <list>", "execution namespaces, comma-separated (default: all found)")
    .option("--topic <topic>", "the signals topic (default: {BROKER_NAMESPACE}.signals.validated)")
    .option("--json", "print the report as JSON")
    .option("--html <file>", "also write the report with charts to this HTML file")
    .option("--follow", "keep comparing from now on and serve the divergence metrics")
    .option("--port <port>", "with --follow: the port of /metrics", "9464")
    .option("--settle <duration>", "with --follow: judge a signal this long after it", "60s")
    .action(async (options: CompareOptions) => {
      try {
        const now = Date.now();
        const namespaces = envList().parse(options.namespaces);
        if (options.follow) {
          await follow(migrationSite(process.env, "compare"), options, namespaces);
          return;
        }
        // The command line first: a bad window is reported without reaching Kafka.
        const window = parseWindow(options, now);
        const graceMs = parseDuration(options.grace, "--grace");
        const site = migrationSite(process.env, "compare");
        const { report, samples, missingTopics } = await runComparison(
          site.kafka,
          {
            signalsTopic: options.topic ?? site.signalsTopic,
            namespaces,
            oldPrefix: options.oldPrefix,
            newPrefix: options.newPrefix,
            window,
            graceMs,
          },
          now,
        );
        if (missingTopics.length > 0) {
          process.stderr.write(`topics not found (read as empty): ${missingTopics.join(", ")}\n`);
        }
        process.stdout.write(
          options.json ? `${JSON.stringify(report, null, 2)}\n` : formatComparison(report),
        );
        if (options.html) {
          // Loaded here only: vega and vega-lite are megabytes of code that every other command,
          // the running engine among them, would otherwise carry in its heap (and mark at each
          // full GC: issue 11).
          const { comparisonHtml } = await import("./comparison-html.js");
          await writeFile(options.html, await comparisonHtml(report, samples));
          if (!options.json) process.stdout.write(`report with charts: ${options.html}\n`);
        }
      } catch (error) {
        reportCommandError(error);
      }
    });
}

/** `--follow`: runs until SIGTERM or SIGINT, serving `/metrics` on `--port`. */
async function follow(
  site: MigrationSite,
  options: CompareOptions,
  namespaces: string[],
): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new MigrationUsageError("--port: expected a port number");
  }
  if (options.oldPrefix === options.newPrefix) {
    throw new MigrationUsageError("--follow needs different --old-prefix and --new-prefix");
  }
  const service = await startFollowing({
    kafka: site.kafka,
    signalsTopic: options.topic ?? site.signalsTopic,
    namespaces,
    oldPrefix: options.oldPrefix,
    newPrefix: options.newPrefix,
    settleAfterMs: parseDuration(options.settle, "--settle"),
    port,
    logLevel: site.settings.logLevel,
  });
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => resolve());
  });
  await service.stop();
}
