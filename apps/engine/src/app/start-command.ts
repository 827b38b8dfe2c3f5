import { systemClock } from "@engine/core";
import { strategyConfigurations } from "../db/schema.js";
import {
  DEMO_INSTRUMENTS,
  DEMO_STRATEGY_ID,
  MarketSimulator,
} from "../embedded/market-simulator.js";
import { createLogger, logLevelFromEnv, outputFormat } from "../observability/logger.js";
import { ResultLinePrinter, TERMINAL_COLORS } from "../observability/result-lines.js";
import { InMemoryTransport } from "../transport/in-memory-transport.js";
import { Engine } from "./engine.js";

/** Stop must finish within this, or the process exits with an error. */
const STOP_DEADLINE_MS = 10_000;

/**
 * `engine start`: the engine in the foreground until a signal stops it (exit 0) or a consumer
 * stops for good (exit 1). Without `KAFKA_BROKERS` and `DATABASE_URL` it runs embedded: in-process
 * bus, PGlite, a market simulator feeding a demo strategy.
 * @throws SettingsError naming each bad variable, before anything starts
 */
export async function startEngine(): Promise<void> {
  const embedded = !process.env.KAFKA_BROKERS && !process.env.DATABASE_URL;
  const env = embedded ? { MARKET_HOURS_MODE: "always_open", ...process.env } : process.env;
  const format = outputFormat(process.env.LOG_FORMAT, process.stdout.isTTY === true);
  const logger = createLogger({
    level: logLevelFromEnv(),
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
}
