/**
 * One fixture per style of integration test, built on vitest's `test.extend`: a test file opens
 * with one line naming its style and options, and never repeats setup.
 *
 * ```ts
 * const it = spawnedEngineTest.extend("options", FILE_SCOPE, {
 *   label: "crash",                      // names the file's namespace and scratch folder
 *   env: { ...TAKEOVER_ENV },            // every engine's variables
 * });
 *
 * it("gives every signal one result", async ({ bench, ledger, site, spawnEngine }) => {
 *   const engine = await spawnEngine("engine-1", { LIVESIM_DELAY_MS: "5" });
 *   ...
 * });
 * ```
 *
 * - `inProcessTest`: the file's `engine` in this process, started before its first test with
 *   paper and the live stand-in (`options.strategies` written, `options.price` primed for
 *   `token`); `startEngine(extra, { site, plugins, ... })` starts more. `benchTest`: the same
 *   without `engine`, for files that start their engines themselves.
 * - `spawnedEngineTest`: engines as processes of the built CLI (`spawnEngine(name, extra)`), the
 *   live stand-in recording into `recordFile`.
 * - `zerodhaTest` / `zerodhaProcessTest`: the Kite emulator (`emulator`, `options.kite`) with the
 *   shipped paper and zerodha plugins, the engine in this process (`engine`: strategies written,
 *   prices primed; `options.instances` of them in one group, `instances`; `startEngine` starts
 *   more) or as processes (`spawnEngine`); `trade(input)` sends a signal and waits for its end;
 *   `bench.ledger` reads the outcomes.
 * - `upstoxTest` / `upstoxProcessTest`: both emulators (`kite`, `upstox`) with paper, zerodha and
 *   upstox, likewise.
 * - Every process style: `spawnReady(name, tokens)` spawns an engine, waits until it is ready,
 *   writes the file's strategies and sends a tick per token. Every style: `runCli(args, env)`
 *   runs a command of the built CLI; `openSite(label)` gives another site, its topic prepared.
 * - Presets: `TAKEOVER_ENV` and `KILL_TEST_ENV` (`zerodhaKillOptions`) for the restart tests;
 *   `controlEnv(label, adminToken)` (`controls.ts`) for a file's own control topic.
 *
 * Everything is file-scoped (set up once, for the first test or hook that asks for it, and undone
 * after the file's last test, newest first, by the file's `teardown`), except the automatic
 * failure report: when a test fails, every spawned engine's output and the file's diagnoses
 * (ledgers, emulator counters, CLI output) are printed. Each file gets a namespace, consumer group
 * and signal topic of its own (`site`); its signal topic is created with the group committed at
 * its start (`options.partitions`, 0 to leave both to the engine, as `benchTest` does by
 * default). A file adds its own setup with `it.beforeAll(async ({ engine }) => ...)` or a fixture
 * of its own (`.extend(name, ...)`), and its own undo with `teardown.defer(...)`. Parameterised
 * tests use `it.for`, whose second argument is the context.
 */
import { join } from "node:path";
import type { Clock, Env, Logger } from "@engine/core";
import type { KiteEmulatorOptions } from "@engine/kite-emulator";
import { paperPlugin } from "@engine/trader-paper";
import { upstoxPlugin } from "@engine/trader-upstox";
import { zerodhaPlugin } from "@engine/trader-zerodha";
import { UpstoxEmulator, type UpstoxEmulatorOptions } from "@engine/upstox-emulator";
import { test } from "vitest";
import type { AnyTraderPlugin } from "../../../src/app/plugins.js";
import { type Bench, openBench } from "./bench.js";
import { openTestDatabase, putStrategy, type TestDatabase } from "./database.js";
import {
  childEnv,
  type EngineProcess,
  engineEnv,
  freePort,
  type ProcessEnv,
  runCli,
  SpawnedEngines,
  signalGroupId,
  spawnedEngineVariables,
} from "./engine-process.js";
import { baseEnv, startEngine, type TestEngine } from "./in-process-engine.js";
import { uniqueName } from "./kafka.js";
import { liveRecordFile, liveStandinEnv } from "./live-standin.js";
import { type SignalInput, validatedSignal } from "./messages.js";
import { MigrationCli } from "./migration-cli.js";
import { primePrice, randomToken, resultTopics } from "./probes.js";
import { ResultLedger } from "./result-ledger.js";
import { prepareSignalTopic, sendSignals, sendTicks } from "./signal-stream.js";
import { Teardown } from "./teardown.js";
import {
  KITE_TOKEN,
  putStrategy as putRoutedStrategy,
  type StrategyRouting,
  upstoxVariables,
  waitForEnds,
} from "./upstox-harness.js";
import {
  accessTokenFile,
  primePrices,
  putZerodhaStrategy,
  sendAndAwaitEnd,
  startKiteEmulator,
  type ZerodhaBench,
  zerodhaDiagnostics,
  zerodhaProcessEnv,
  zerodhaVariables,
} from "./zerodha-harness.js";
import { ZerodhaLedger } from "./zerodha-outcomes.js";

/** The scope of file options and fixtures: `zerodhaTest.extend("options", FILE_SCOPE, {...})`. */
export const FILE_SCOPE = { scope: "file" } as const;

/** Where a file's engines read signals: its namespace, consumer group and signal topic. */
export interface Site {
  namespace: string;
  /** `KAFKA_GROUP_ID_PREFIX`: the in-process engines' (`baseEnv`) and the spawned ones' alike. */
  groupIdPrefix: string;
  /** The signals consumer group. */
  groupId: string;
  signalTopic: string;
}

/** A namespace and consumer group no earlier run used, named after `label`. */
export function newSite(label: string): Site {
  const namespace = uniqueName(label);
  const groupIdPrefix = `it-${namespace}`;
  return {
    namespace,
    groupIdPrefix,
    groupId: signalGroupId(groupIdPrefix),
    signalTopic: `${namespace}.signals.validated`,
  };
}

/** What a file says about itself; every style has these. */
export interface FileOptions {
  /** Names its namespace (`site`) and scratch folder. */
  label: string;
  /** The namespaces whose results the bench records and the `ledger` expects. */
  namespaces?: readonly string[];
  /** More topics the bench records (the ticks' dead letters, shadow results). */
  recorded?: readonly string[];
  /** The bench records the signal topic's dead letters (`{signalTopic}.dlq`) too. */
  deadLetters?: boolean;
  /** The signal topic's partitions, created with the group at its start; 0: neither. Default 3. */
  partitions?: number;
  /** Variables of every engine the file starts (a call's own come on top). */
  env?: ProcessEnv;
}

/** A strategy as the platform writes it (`putStrategy`). */
export interface StrategyRow {
  id: string;
  zerodhaTradingEnabled?: boolean;
}

export interface InProcessOptions extends FileOptions {
  /** The plugins of every engine (default: paper and the live stand-in). */
  plugins?: AnyTraderPlugin[];
  /** The clock of every engine (default: the system's). */
  clock?: Clock;
  /** Strategies written once `engine` has created its tables. */
  strategies?: readonly StrategyRow[];
  /** `engine` is given this last price for `token` before the first test. */
  price?: number;
}

export interface ZerodhaOptions extends FileOptions {
  /**
   * The token the emulator accepts (default `{label}_token`); the engine gets it as
   * KITE_ACCESS_TOKEN or in `tokenFile`.
   */
  accessToken?: string;
  kite?: KiteEmulatorOptions;
  /** The token reaches the engine through a file (KITE_ACCESS_TOKEN_FILE): `tokenFile`. */
  tokenFile?: boolean;
  /** Strategies trading on zerodha, written once `engine` (or `spawnReady`'s) has created its tables. */
  strategyIds?: readonly string[];
  /** `engine` is given a last price for each before the first test (paper fills beside Kite). */
  tokens?: readonly number[];
  /** How many engines `zerodhaTest` starts in this process, in the file's consumer group. */
  instances?: number;
}

export interface UpstoxOptions extends FileOptions {
  upstox?: UpstoxEmulatorOptions;
  /** The Upstox token reaches the engine through a file (UPSTOX_ACCESS_TOKEN_FILE): `tokenFile`. */
  tokenFile?: boolean;
  /** Written once `engine` has created its tables. */
  strategies?: readonly StrategyRouting[];
  /** `engine` is given a last price for each before the first test. */
  tokens?: readonly number[];
  /** The in-process engine's logger (default: pino at LOG_LEVEL). */
  logger?: Logger;
}

/** How `startEngine` differs from the file's engine. */
export interface InProcessEngineOptions {
  site?: Site;
  databaseUrl?: string;
  plugins?: AnyTraderPlugin[];
  clock?: Clock;
  logger?: Logger;
  http?: boolean;
}

const DEFAULT_NAMESPACES = ["paper", "livesim"] as const;
const ZERODHA_NAMESPACES = ["zerodha", "paper"] as const;
const UPSTOX_NAMESPACES = ["paper", "zerodha", "upstox"] as const;

/**
 * Variables for tests that kill an engine and start another: a dead instance's executions are
 * taken over once its lease (3 s) runs out, and the backlog a restart leaves is traded, not
 * refused as stale (these tests are about duplicates).
 */
export const TAKEOVER_ENV = { ENGINE_LEASE_MS: "3000", SIGNAL_MAX_AGE_MS: "600000" } as const;

/**
 * `TAKEOVER_ENV` for tests that kill an engine while orders are open at a broker's emulator: an
 * answer the kill or an injected fault holds back times out after 1.5 s, Kite's and Upstox's
 * alike.
 */
export const KILL_TEST_ENV = {
  KITE_TIMEOUT_MS: "1500",
  UPSTOX_TIMEOUT_MS: "1500",
  ...TAKEOVER_ENV,
} as const;

/**
 * A zerodha kill test's options: the strategy trading on zerodha, Kite filling each order
 * `fillDelayMs` after it was placed (a kill finds orders open), `KILL_TEST_ENV`.
 */
export function zerodhaKillOptions(
  label: string,
  strategyId: string,
  fillDelayMs: number,
): ZerodhaOptions {
  return { label, strategyIds: [strategyId], kite: { fillDelayMs }, env: KILL_TEST_ENV };
}

/**
 * The file's bench on its database, recording its namespaces' results, its signal topic created
 * with the group committed at its start (unless `partitions` is 0).
 */
export async function openFileBench(
  options: FileOptions,
  teardown: Teardown,
  site: Site,
  db: TestDatabase,
): Promise<Bench> {
  const namespaces = options.namespaces ?? DEFAULT_NAMESPACES;
  const bench = await openBench(
    teardown,
    [
      ...(options.deadLetters ? [`${site.signalTopic}.dlq`] : []),
      ...(options.recorded ?? []),
      ...resultTopics(namespaces),
    ],
    db,
  );
  const partitions = options.partitions ?? 3;
  if (partitions > 0) {
    await prepareSignalTopic(bench.admin, site.signalTopic, partitions, site.groupId);
  }
  return bench;
}

/** What every style shares: options, teardown, failure report, site, database, bench, ledger. */
export const integrationTest = test
  .extend("options", { scope: "file" }, { label: "it" } as FileOptions)
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from its destructuring
  .extend("teardown", { scope: "file" }, async ({}, { onCleanup }) => {
    const teardown = new Teardown();
    onCleanup(() => teardown.run());
    return teardown;
  })
  .extend(
    "engines",
    { scope: "file" },
    ({ options, teardown }) => new SpawnedEngines(teardown, `engine-${options.label}`),
  )
  .extend("reportFailure", { auto: true }, ({ engines, onTestFailed }) => {
    onTestFailed(() => engines.dumpOnFailure("fail"));
  })
  .extend("site", { scope: "file" }, ({ options }) => newSite(options.label))
  .extend("db", { scope: "file" }, ({ teardown }) => openTestDatabase(teardown))
  .extend("bench", { scope: "file" }, ({ options, teardown, site, db }) =>
    openFileBench(options, teardown, site, db),
  )
  /** The migration commands on the file's namespace; what they printed goes in a failure report. */
  .extend("cli", { scope: "file" }, ({ site, engines }) => {
    const cli = new MigrationCli(site);
    engines.diagnose(() => cli.outputs.join("\n"));
    return cli;
  })
  .extend("ledger", { scope: "file" }, ({ options, bench, engines }) => {
    const ledger = new ResultLedger(bench.recorder, options.namespaces ?? DEFAULT_NAMESPACES);
    engines.diagnose(() => (ledger.signalIds.length > 0 ? `results: ${ledger.describe()}` : ""));
    return ledger;
  })
  /**
   * Runs a command of the built CLI to its end with only `env` (and what node needs), its output
   * logged in the file's log folder.
   */
  .extend("runCli", { scope: "file" }, ({ engines }): RunCli => {
    let runs = 0;
    return (args, env = {}) => {
      runs += 1;
      return runCli({
        name: `cli-${runs}-${args[0]}`,
        args,
        env: childEnv(env),
        logDir: engines.logDir,
      });
    };
  })
  /** A site of its own (see `newSite`), its signal topic created with the group committed at its start. */
  .extend("openSite", { scope: "file" }, ({ bench }) => async (label: string, partitions = 3) => {
    const site = newSite(label);
    await prepareSignalTopic(bench.admin, site.signalTopic, partitions, site.groupId);
    return site;
  });

/** `integrationTest`'s `runCli`: `args` of `node dist/main.js`, `env` its whole environment. */
export type RunCli = (args: string[], env?: ProcessEnv) => ReturnType<typeof runCli>;

/** Engines in this process, each started by a test or hook (`startEngine`). */
export const benchTest = integrationTest
  .extend("options", { scope: "file" }, { label: "it" } as InProcessOptions)
  // In-process engines create their signal topic themselves unless `partitions` says otherwise.
  .extend("bench", { scope: "file" }, ({ options, teardown, site, db }) =>
    openFileBench({ partitions: 0, ...options }, teardown, site, db),
  )
  .extend("recordFile", { scope: "file" }, ({ teardown }) => liveRecordFile(teardown))
  .extend("token", { scope: "file" }, () => randomToken())
  .extend(
    "startEngine",
    { scope: "file" },
    ({ options, teardown, site, db, recordFile }) =>
      (extra: Env = {}, engine: InProcessEngineOptions = {}): Promise<TestEngine> =>
        startEngine(
          teardown,
          baseEnv(engine.databaseUrl ?? db.url, (engine.site ?? site).namespace, {
            ...liveStandinEnv(recordFile),
            ...options.env,
            ...extra,
          }),
          {
            ...(options.plugins ? { plugins: options.plugins } : {}),
            ...(options.clock ? { clock: options.clock } : {}),
            ...engine,
          },
        ),
  );

/**
 * `benchTest` with the file's engine (`engine`) started before its first test, on the file's
 * site, its strategies written and a price for `token` primed when `options.price` is set.
 */
export const inProcessTest = benchTest.extend(
  "engine",
  { scope: "file", auto: true },
  async ({ options, startEngine, bench, token }) => {
    const engine = await startEngine();
    for (const strategy of options.strategies ?? []) await putStrategy(bench.db, strategy);
    if (options.price !== undefined) await primePrice(engine, bench.producer, token, options.price);
    return engine;
  },
);

export interface SpawnedOptions extends FileOptions {
  /** Strategies written once `spawnReady`'s engine has created its tables. */
  strategies?: readonly StrategyRow[];
}

/**
 * A spawned engine once it is ready to trade: spawned (`spawnEngine`), ready, the file's
 * strategies written and a tick sent for each of `tokens`.
 */
export type SpawnReady = (name: string, tokens: readonly number[]) => Promise<EngineProcess>;

/**
 * Every spawned style's `spawnReady`: spawns, waits for `/ready`, writes the file's strategies
 * (`writeStrategies`, once the engine has created its tables) and sends a tick per token.
 */
function spawnReadyFixture({
  bench,
  spawnEngine,
  writeStrategies,
}: {
  bench: Bench;
  spawnEngine: (name: string) => Promise<EngineProcess>;
  writeStrategies: () => Promise<void>;
}): SpawnReady {
  return async (name, tokens) => {
    const engine = await spawnEngine(name);
    await engine.waitReady();
    await writeStrategies();
    await sendTicks(bench.producer, tokens);
    return engine;
  };
}

/** Engines as processes of the built CLI, with paper and the live stand-in. */
export const spawnedEngineTest = integrationTest
  .extend("options", { scope: "file" }, { label: "it" } as SpawnedOptions)
  .extend("recordFile", { scope: "file" }, ({ engines }) =>
    join(engines.logDir, "livesim-orders.jsonl"),
  )
  .extend(
    "spawnEngine",
    { scope: "file" },
    ({ options, site, bench, engines, recordFile }): SpawnEngine =>
      async (name, extra = {}, at = {}) => {
        const where = at.site ?? site;
        return engines.spawn(
          name,
          engineEnv({
            databaseUrl: bench.db.url,
            namespace: where.namespace,
            groupIdPrefix: where.groupIdPrefix,
            httpPort: await freePort(),
            recordFile: at.recordFile ?? recordFile,
            extra: { ...options.env, ...extra },
          }),
        );
      },
  )
  .extend("writeStrategies", { scope: "file" }, ({ options, bench }) => async () => {
    for (const strategy of options.strategies ?? []) await putStrategy(bench.db, strategy);
  })
  .extend("spawnReady", { scope: "file" }, spawnReadyFixture);

/** Another site or record file for one spawned engine. */
export interface SpawnSite {
  site: Site;
  recordFile: string;
}

/** `spawnedEngineTest`'s `spawnEngine`: `extra` on top of the file's `env`. */
export type SpawnEngine = (
  name: string,
  extra?: ProcessEnv,
  at?: Partial<SpawnSite>,
) => Promise<EngineProcess>;

/** The Kite emulator and engines as processes with the shipped paper and zerodha plugins. */
export const zerodhaProcessTest = integrationTest
  .extend("options", { scope: "file" }, { label: "zd" } as ZerodhaOptions)
  .extend(
    "accessToken",
    { scope: "file" },
    ({ options }) => options.accessToken ?? `${options.label}_token`,
  )
  .extend("bench", { scope: "file" }, async ({ options, teardown, site, db }) => {
    const namespaces = ZERODHA_NAMESPACES;
    const bench = await openFileBench({ namespaces, ...options }, teardown, site, db);
    return { ...bench, ledger: new ZerodhaLedger(bench.recorder) } satisfies ZerodhaBench;
  })
  /** Sends a signal (of the file's first strategy unless `input` names one) and waits for its end on zerodha and paper. */
  .extend(
    "trade",
    { scope: "file" },
    ({ options, bench, site }) =>
      async (input: Partial<SignalInput> = {}) => {
        const strategyId = options.strategyIds?.[0] ?? "zd_strategy";
        const signal = validatedSignal({ strategyId, ...input });
        await sendAndAwaitEnd(bench, site.signalTopic, signal);
        return signal;
      },
  )
  .extend(
    "emulator",
    { scope: "file" },
    async ({ options, accessToken, teardown, engines, bench }) => {
      const emulator = await startKiteEmulator(teardown, {
        accessToken,
        ...options.kite,
      });
      engines.diagnose(() => zerodhaDiagnostics(emulator, bench.ledger, bench.ledger.watched()));
      return emulator;
    },
  )
  .extend("tokenFile", { scope: "file" }, async ({ options, accessToken, teardown }) =>
    options.tokenFile ? accessTokenFile(teardown, accessToken) : undefined,
  )
  .extend(
    "zerodhaEnv",
    { scope: "file" },
    ({ options, accessToken, tokenFile }): Env => ({
      ...(tokenFile
        ? { KITE_ACCESS_TOKEN_FILE: tokenFile.path }
        : { KITE_ACCESS_TOKEN: accessToken }),
      ...options.env,
    }),
  )
  .extend(
    "spawnEngine",
    { scope: "file" },
    ({ site, bench, engines, emulator, zerodhaEnv }) =>
      async (name: string, extra: Env = {}) =>
        engines.spawn(
          name,
          zerodhaProcessEnv({
            databaseUrl: bench.db.url,
            namespace: site.namespace,
            groupIdPrefix: site.groupIdPrefix,
            httpPort: await freePort(),
            emulatorUrl: emulator.url,
            extra: { ...zerodhaEnv, ...extra },
          }),
        ),
  )
  .extend("writeStrategies", { scope: "file" }, ({ options, bench }) => async () => {
    for (const id of options.strategyIds ?? []) await putZerodhaStrategy(bench.sql, id);
  })
  .extend("spawnReady", { scope: "file" }, spawnReadyFixture);

/** How an engine `zerodhaTest`'s `startEngine` starts differs from the file's. */
export interface ZerodhaEngineOptions {
  site?: Site;
  http?: boolean;
}

/**
 * `zerodhaProcessTest` with engines in this process: `startEngine(extra, { site, http })` starts
 * one (`extra` on top of the file's variables), and `options.instances` of them (default 1) are
 * started before the file's first test in the file's consumer group (`instances`, the first is
 * `engine`), strategies written, prices primed on each.
 */
export const zerodhaTest = zerodhaProcessTest
  .extend("startEngine", { scope: "file" }, ({ teardown, site, bench, emulator, zerodhaEnv }) => {
    const plugins = [paperPlugin, zerodhaPlugin];
    return (extra: Env = {}, engine: ZerodhaEngineOptions = {}): Promise<TestEngine> => {
      const variables = zerodhaVariables(emulator.url, { ...zerodhaEnv, ...extra });
      const env = baseEnv(bench.db.url, (engine.site ?? site).namespace, variables);
      const http = engine.http === undefined ? {} : { http: engine.http };
      return startEngine(teardown, env, { plugins, ...http });
    };
  })
  .extend(
    "instances",
    { scope: "file", auto: true },
    async ({ options, bench, startEngine: start, writeStrategies }) => {
      const instances: TestEngine[] = [];
      for (let n = 0; n < (options.instances ?? 1); n++) instances.push(await start());
      await writeStrategies();
      for (const engine of instances)
        await primePrices(engine, bench.producer, options.tokens ?? []);
      return instances;
    },
  )
  .extend("engine", { scope: "file" }, ({ instances }) => {
    const [first] = instances;
    if (!first) throw new Error("options.instances is 0: no engine");
    return first;
  });

/**
 * Both emulators and engines as processes with the shipped paper, zerodha and upstox plugins: zerodha is enabled globally
 * because the engine's instrument registry reads the instrument dump the Zerodha package keeps;
 * strategies trade on it only when routed there.
 */
export const upstoxProcessTest = integrationTest
  .extend("options", { scope: "file" }, { label: "up" } as UpstoxOptions)
  .extend("bench", { scope: "file" }, ({ options, teardown, site, db }) =>
    openFileBench({ namespaces: UPSTOX_NAMESPACES, ...options }, teardown, site, db),
  )
  /** Sends a signal and waits for its end on each of `namespaces`. */
  .extend(
    "trade",
    { scope: "file" },
    ({ bench, site }) =>
      async (input: SignalInput, namespaces: readonly string[] = ["upstox", "paper"]) => {
        const signal = validatedSignal(input);
        await sendSignals(bench.producer, site.signalTopic, [signal]);
        await waitForEnds(bench, [signal.id], namespaces);
        return signal;
      },
  )
  .extend("kite", { scope: "file" }, ({ teardown }) =>
    startKiteEmulator(teardown, { accessToken: KITE_TOKEN }),
  )
  .extend("upstox", { scope: "file" }, async ({ options, teardown, engines }) => {
    const upstox = new UpstoxEmulator(options.upstox ?? {});
    await upstox.start();
    teardown.defer(() => upstox.stop());
    engines.diagnose(() => `upstox stats: ${JSON.stringify(upstox.stats())}`);
    return upstox;
  })
  .extend("tokenFile", { scope: "file" }, async ({ options, teardown, upstox }) =>
    options.tokenFile ? accessTokenFile(teardown, upstox.accessToken ?? "") : undefined,
  )
  .extend(
    "liveEnv",
    { scope: "file" },
    ({ options, kite, upstox, tokenFile }): Env => ({
      ...zerodhaVariables(kite.url, { KITE_ACCESS_TOKEN: KITE_TOKEN }),
      ...upstoxVariables(
        upstox,
        tokenFile
          ? { UPSTOX_ACCESS_TOKEN: "", UPSTOX_ACCESS_TOKEN_FILE: tokenFile.path }
          : { UPSTOX_ACCESS_TOKEN: upstox.accessToken ?? "" },
      ),
      ...options.env,
    }),
  )
  .extend(
    "spawnEngine",
    { scope: "file" },
    ({ site, bench, engines, liveEnv }) =>
      async (name: string, extra: ProcessEnv = {}) => {
        const variables = spawnedEngineVariables("engine-it-upstox", {
          databaseUrl: bench.db.url,
          namespace: site.namespace,
          groupIdPrefix: site.groupIdPrefix,
          httpPort: await freePort(),
        });
        for (const [variable, value] of Object.entries(liveEnv)) {
          if (value !== undefined) variables[variable] = value;
        }
        return engines.spawn(name, childEnv({ ...variables, ...extra }));
      },
  )
  .extend("writeStrategies", { scope: "file" }, ({ options, bench }) => async () => {
    for (const strategy of options.strategies ?? []) await putRoutedStrategy(bench.sql, strategy);
  })
  .extend("spawnReady", { scope: "file" }, spawnReadyFixture);

/**
 * `upstoxProcessTest` with an engine in this process (`engine`) started before the file's first
 * test: strategies written, prices primed.
 */
export const upstoxTest = upstoxProcessTest.extend(
  "engine",
  { scope: "file", auto: true },
  async ({ options, teardown, site, bench, liveEnv, writeStrategies }) => {
    const engine = await startEngine(teardown, baseEnv(bench.db.url, site.namespace, liveEnv), {
      plugins: [paperPlugin, zerodhaPlugin, upstoxPlugin],
      ...(options.logger ? { logger: options.logger } : {}),
    });
    await writeStrategies();
    await primePrices(engine, bench.producer, options.tokens ?? []);
    return engine;
  },
);
