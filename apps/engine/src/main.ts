#!/usr/bin/env node
import { loadSettings, SettingsError, systemClock } from "@engine/core";
import { Command } from "commander";
import { z } from "zod";
import { type ControlCommandOptions, controlStatus, sendControl } from "./app/control-cli.js";
import { Engine } from "./app/engine.js";
import { openDatabase } from "./db/database.js";
import { strategyConfigurations } from "./db/schema.js";
import {
  DEMO_INSTRUMENTS,
  DEMO_STRATEGY_ID,
  MarketSimulator,
} from "./embedded/market-simulator.js";
import { registerCompareCommand } from "./migration/compare-command.js";
import { registerCutoverCommand } from "./migration/cutover-command.js";
import { createLogger, outputFormat } from "./observability/logger.js";
import { ResultLinePrinter, TERMINAL_COLORS } from "./observability/result-lines.js";
import { InMemoryTransport } from "./transport/in-memory-transport.js";

/** Stop must finish within this, or the process exits with an error. */
const STOP_DEADLINE_MS = 10_000;

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
  .action(async () => {
    const embedded = !process.env.KAFKA_BROKERS && !process.env.DATABASE_URL;
    const env = embedded ? { MARKET_HOURS_MODE: "always_open", ...process.env } : process.env;
    const format = outputFormat(process.env.LOG_FORMAT, process.stdout.isTTY === true);
    const logger = createLogger({
      level: readLogLevel(),
      pretty: format !== "json",
      singleLine: format === "lines",
    });
    // In a terminal a trader reads one line per result; everything else stays a log.
    const lines =
      format === "lines"
        ? new ResultLinePrinter({
            write: (text) => process.stdout.write(text),
            known: new Map(
              DEMO_INSTRUMENTS.map((instrument) => [instrument.token, instrument.symbol]),
            ),
            colors: TERMINAL_COLORS,
          })
        : null;
    const describe = (error: unknown) =>
      error instanceof Error ? (error.stack ?? error.message) : String(error);
    // While starting there is nothing to stop yet.
    let fail = (reason: string, error: unknown): void => {
      logger.fatal({ err: describe(error) }, `${reason} while starting: exit code 1`);
      process.exit(1);
    };
    const engine = new Engine({
      env,
      logger,
      onFatal: (error) => fail("consumer stopped", error),
      ...(lines ? { onResult: lines.print } : {}),
    });
    const running = await engine.start();
    lines?.useInstruments(running.instruments);

    let simulator: MarketSimulator | null = null;
    if (running.transport instanceof InMemoryTransport) {
      await running.database.db
        .insert(strategyConfigurations)
        .values({ id: DEMO_STRATEGY_ID, strategyType: "demo", instruments: [], parameters: {} })
        .onConflictDoNothing();
      simulator = new MarketSimulator({
        publish: (messages) => running.transport.publish(messages),
        clock: systemClock,
        signalTopic: running.topics.signals,
        tickTopic: running.topics.ticks,
      });
      simulator.start();
      logger.info(
        {
          console: `http://127.0.0.1:${running.httpPort}/`,
          metrics: `http://127.0.0.1:${running.httpPort}/metrics`,
        },
        "embedded mode: simulated ticks and demo signals, paper fills below",
      );
    }

    let stopping = false;
    /**
     * Every way out stops the engine first: its consumers leave their groups, so a new instance
     * gets the partitions at once instead of after the session timeout. Only SIGKILL skips this.
     */
    const stop = async (reason: string, code: number) => {
      if (stopping) return;
      stopping = true;
      logger.info({ reason }, "stopping");
      const deadline = setTimeout(() => {
        logger.error({ deadline_ms: STOP_DEADLINE_MS }, "stop took too long: exiting");
        process.exit(1);
      }, STOP_DEADLINE_MS);
      simulator?.stop();
      await engine.stop();
      await lines?.flush();
      clearTimeout(deadline);
      logger.info({}, "stopped");
      process.exit(code);
    };
    // Exits non-zero, so a supervisor starts a fresh instance: alive but not consuming never lasts.
    fail = (reason, error) => {
      logger.fatal({ err: describe(error) }, `${reason}: stopping, exit code 1`);
      void stop(reason, 1);
    };
    process.on("uncaughtException", (error) => fail("uncaught exception", error));
    process.on("unhandledRejection", (error) => fail("unhandled rejection", error));
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      process.on(signal, () => void stop(signal, 0));
    }
  });

program
  .command("migrate")
  .description("Apply the database migrations to DATABASE_URL and exit.")
  .action(async () => {
    const { DATABASE_URL } = loadSettings(
      z.object({ DATABASE_URL: z.string().min(1, "required") }),
      process.env,
    );
    const logger = createLogger({ level: readLogLevel() });
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
      const control = await sendControl(process.env, state, options, logger);
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

const LOG_LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** The level to log start-up at; a bad LOG_LEVEL falls back to info and settings then name it. */
function readLogLevel(): string {
  const level = process.env.LOG_LEVEL?.trim().toLowerCase() ?? "";
  return LOG_LEVELS.has(level) ? level : "info";
}

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
