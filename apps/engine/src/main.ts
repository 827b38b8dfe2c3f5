#!/usr/bin/env node
import { loadSettings, SettingsError } from "@engine/core";
import { Command } from "commander";
import { z } from "zod";
import { type ControlCommandOptions, controlStatus, sendControl } from "./app/control-cli.js";
import { registerCompareCommand } from "./migration/compare-command.js";
import { registerCutoverCommand } from "./migration/cutover-command.js";
import { createLogger, logLevelFromEnv } from "./observability/logger.js";

const program = new Command()
  .name("engine")
  .description(
    "Trading execution engine: routes validated signals to traders and emits order results.",
  );

program
  .command("start")
  .description(
    "Start the engine in the foreground. Without KAFKA_BROKERS and DATABASE_URL it runs embedded: in-process bus, PGlite, a market simulator.",
  )
  // Loaded on use: the engine's modules take a second or more to load, which the control
  // commands (halt, status) should not pay.
  .action(async () => (await import("./app/start-command.js")).startEngine());

program
  .command("migrate")
  .description("Apply the database migrations to DATABASE_URL and exit.")
  .action(async () => {
    const { DATABASE_URL } = loadSettings(
      z.object({ DATABASE_URL: z.string().min(1, "required") }),
      process.env,
    );
    const logger = createLogger({ level: logLevelFromEnv() });
    const { openDatabase } = await import("./db/database.js");
    const database = openDatabase(DATABASE_URL, logger);
    try {
      await database.migrate();
      logger.info({}, "migrations applied");
    } finally {
      await database.close();
    }
  });

registerCutoverCommand(program);
registerCompareCommand(program);

const STATE_COMMANDS = [
  [
    "halt",
    "HALTED",
    "Halt trading in a scope: no new order (with --cancel-open, open orders are cancelled).",
  ],
  [
    "reduce",
    "REDUCING",
    "Reduce-only in a scope: only orders that bring a strategy's net position toward zero.",
  ],
  ["resume", "ACTIVE", "Resume trading in a scope (a wider scope's halt still applies)."],
] as const;

for (const [name, state, description] of STATE_COMMANDS) {
  program
    .command(name)
    .description(
      `${description} Writes to the control topic with the engine's settings (KAFKA_*, ENGINE_CONTROL_TOPIC); no HTTP needed. Scope: global, or --namespace, or --strategy (with --namespace: the strategy on that namespace).`,
    )
    .option("--namespace <namespace>", "only this namespace")
    .option("--strategy <strategy_id>", "only this strategy")
    .requiredOption("--reason <text>", "why: shown in every refusal and in the audit trail")
    .option("--cancel-open", "halt only: also cancel open orders in the scope")
    .option("--expires-at <iso>", "ISO-8601 time with an offset after which the change lapses")
    .option("--operator <name>", "who asks (default: user@host)")
    .action(async (options: ControlCommandOptions) => {
      const logger = createLogger({ level: "warn", stderr: true });
      const control = await sendControl(process.env, state, options, logger).catch(
        (error: unknown) => {
          if (error instanceof z.ZodError || error instanceof SettingsError) throw error;
          // Said plainly: an operator halting in a hurry must know the halt did not happen.
          process.stderr.write(
            `engine ${name}: NOTHING CHANGED: the control topic could not be written (${error instanceof Error ? error.message : String(error)}). Try again, or use POST /control on a running engine.\n`,
          );
          process.exit(1);
        },
      );
      process.stdout.write(`${JSON.stringify(control)}\n`);
      // kafkajs may leave sockets closing: the change is acknowledged, so exit now.
      process.exit(0);
    });
}

program
  .command("status")
  .description("Print the trading state of every scope, read from the control topic.")
  .action(async () => {
    const scopes = await controlStatus(process.env, createLogger({ level: "warn", stderr: true }));
    process.stdout.write(`${JSON.stringify({ scopes }, null, 2)}\n`);
    process.exit(0);
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof z.ZodError) {
    process.stderr.write(`${z.prettifyError(error)}\n`);
    process.exit(2);
  }
  if (error instanceof SettingsError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `engine failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
