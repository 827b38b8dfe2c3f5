import type { Env } from "@engine/core";
import { RecordingLogger } from "@engine/core/testing";
import type { KiteEmulator } from "@engine/kite-emulator";
import { describe, expect } from "vitest";
import { freePort } from "./test-support/engine-process.js";
import { FILE_SCOPE, newSite, zerodhaProcessTest } from "./test-support/fixtures.js";
import { validatedSignal } from "./test-support/messages.js";
import { eventually, httpGet } from "./test-support/probes.js";
import { sendTicks } from "./test-support/signal-stream.js";
import { Teardown } from "./test-support/teardown.js";
import {
  accessTokenFile,
  prepareSignals,
  putZerodhaStrategy,
  sendAndAwaitEnd,
  startKiteEmulator,
  startZerodhaEngine,
  type TokenFile,
  type ZerodhaBench,
  zerodhaProcessEnv,
} from "./test-support/zerodha-harness.js";

const RELIANCE = 738561;
// Distinctive values: any appearance in a log line or an event is a leak, never a coincidence.
const ACCESS_TOKEN = "zdSecretAccessTokenA1b2C3d4E5f6";
const ROTATED_TOKEN = "zdSecretRotatedTokenG7h8I9j0K1";
const API_SECRET = "zdSecretApiSecretL2m3N4o5P6q7";
const SECRETS = [ACCESS_TOKEN, ROTATED_TOKEN, API_SECRET];

/** The secrets found in `text`. */
function leaked(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret));
}

interface Probe {
  status: number;
  text: string;
}

/** How a flow reaches its engine: the topic it reads signals from, and its HTTP server. */
interface FlowTarget {
  signalTopic: string;
  http(path: string): Promise<Probe>;
}

/** One test's Kite: an emulator that knows the secrets and posts back, a token file, and what they undo. */
interface SecretKite {
  emulator: KiteEmulator;
  file: TokenFile;
  /** What every engine here gets: both secrets, the token file, postbacks on, debug logs. */
  variables: Env;
  teardown: Teardown;
}

// The bench is the file's; each test has an emulator, token file and namespace of its own.
const it = zerodhaProcessTest
  .extend("options", FILE_SCOPE, {
    label: "zdsecrets",
    accessToken: ACCESS_TOKEN,
    partitions: 0,
  })
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from its destructuring
  .extend("kite", async ({}, { onCleanup }): Promise<SecretKite> => {
    const teardown = new Teardown();
    onCleanup(() => teardown.run());
    const postbackPort = await freePort();
    const emulator = await startKiteEmulator(teardown, {
      accessToken: ACCESS_TOKEN,
      fillDelayMs: 50,
      postbackUrl: `http://127.0.0.1:${postbackPort}/kite/postback`,
      apiSecret: API_SECRET,
    });
    const file = await accessTokenFile(teardown, ACCESS_TOKEN);
    const variables = {
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      KITE_ACCESS_TOKEN_FILE: file.path,
      KITE_API_SECRET: API_SECRET,
      KITE_POSTBACK_PORT: String(postbackPort),
      KITE_POSTBACK_HOST: "127.0.0.1",
      KITE_TIMEOUT_MS: "800",
      KITE_API_ROOT: emulator.url,
      LOG_LEVEL: "debug",
    };
    return { emulator, file, variables, teardown };
  });

const strategyId = "zd_secrets";

/**
 * A success, a margin rejection, a 5xx and a timeout after acceptance (both reconciled), a
 * token expiry, then a rotation through the file and another success. Checks each outcome, so
 * the scan afterwards covers every path. Returns the /ready answers seen.
 */
async function runFlow(bench: ZerodhaBench, { emulator, file }: SecretKite, target: FlowTarget) {
  const run = async () => {
    const signal = validatedSignal({ strategyId, instrumentToken: RELIANCE, quantity: 2 });
    await sendAndAwaitEnd(bench, target.signalTopic, signal);
    const outcome = bench.ledger.of(signal.id);
    const end = outcome.filled[0] ?? outcome.failed[0];
    return { topic: end?.topic, code: end?.json.data?.error_code };
  };
  const probes: Probe[] = [];

  expect(await run()).toEqual({ topic: "zerodha.orders.filled", code: undefined });

  emulator.setAvailableMargin(100);
  expect(await run()).toEqual({ topic: "zerodha.orders.failed", code: "BROKER_REJECTED" });
  emulator.setAvailableMargin(10_000_000);

  emulator.setFaults({ orderSystemDown: { next: 1, status: 503 } });
  expect(await run()).toEqual({ topic: "zerodha.orders.filled", code: undefined });
  emulator.setFaults({ timeoutAfterAccept: { next: 1, hangMs: 2_000 } });
  expect(await run()).toEqual({ topic: "zerodha.orders.filled", code: undefined });
  expect(emulator.stats().faultsInjected).toMatchObject({
    orderSystemDown: 1,
    timeoutAfterAccept: 1,
  });

  emulator.expireToken();
  expect(await run()).toEqual({ topic: "zerodha.orders.failed", code: "TRADER_UNAVAILABLE" });
  probes.push(await target.http("/ready"));
  expect(probes.at(-1)?.status).toBe(503);

  emulator.setAccessToken(ROTATED_TOKEN);
  await file.write(ROTATED_TOKEN);
  probes.push(
    await eventually(
      () => target.http("/ready"),
      (probe) => probe.status === 200,
      "/ready after the rotation",
      30_000,
    ),
  );
  expect(await run()).toEqual({ topic: "zerodha.orders.filled", code: undefined });
  await emulator.flushPostbacks();
  expect(emulator.stats().postbacksSent).toBeGreaterThan(0);
  probes.push(await target.http("/metrics"));
  return probes;
}

function expectNoSecretInEvents(bench: ZerodhaBench): void {
  const events = bench.recorder.messages.map((m) => `${m.topic} ${m.key ?? ""} ${m.value}`);
  expect(events.length).toBeGreaterThan(0);
  expect(leaked(events.join("\n"))).toEqual([]);
}

describe("zerodha: the access token and the API secret never reach a log line or an event", () => {
  it("in process: no line of a logger that records everything, at every level, holds a secret", async ({
    bench,
    kite,
  }) => {
    const { namespace, signalTopic } = newSite("zdsecret");
    const logger = new RecordingLogger();
    const engine = await startZerodhaEngine(kite.teardown, bench, {
      namespace,
      emulator: kite.emulator,
      variables: kite.variables,
      logger,
    });
    await putZerodhaStrategy(bench.sql, strategyId);

    const probes = await runFlow(bench, kite, {
      signalTopic,
      http: (path) => httpGet(engine, path),
    });
    await engine.stop();

    // The flow was logged (its failures included), and nothing logged holds a secret.
    expect(logger.records.length).toBeGreaterThan(10);
    const text = logger.inspectedText();
    expect(text).toMatch(/TokenException/);
    expect(text).toMatch(/BROKER_REJECTED/);
    expect(leaked(text)).toEqual([]);
    expect(leaked(probes.map((probe) => probe.text).join("\n"))).toEqual([]);
    expectNoSecretInEvents(bench);
  });

  it("as a process: nothing on stdout or stderr of a spawned engine at debug level holds a secret", async ({
    bench,
    engines,
    kite,
  }) => {
    const { namespace, groupIdPrefix, signalTopic } = newSite("zdsecretp");
    await prepareSignals(bench.admin, signalTopic, groupIdPrefix);
    const engine = engines.spawn(
      "zerodha-secrets-engine",
      zerodhaProcessEnv({
        databaseUrl: bench.db.url,
        namespace,
        groupIdPrefix,
        httpPort: await freePort(),
        emulatorUrl: kite.emulator.url,
        extra: kite.variables,
      }),
    );
    await engine.waitReady();
    await putZerodhaStrategy(bench.sql, strategyId);
    await sendTicks(bench.producer, [RELIANCE]);

    const probes = await runFlow(bench, kite, {
      signalTopic,
      http: async (path) => {
        const { status, body } = await engine.http(path);
        return { status, text: body };
      },
    });
    const exit = await engine.stop("SIGTERM");
    expect(exit.code).toBe(0);

    expect(engine.logLines().length).toBeGreaterThan(10);
    expect(engine.output).toMatch(/TokenException/);
    expect(leaked(engine.stdout)).toEqual([]);
    expect(leaked(engine.stderr)).toEqual([]);
    expect(leaked(probes.map((probe) => probe.text).join("\n"))).toEqual([]);
    expectNoSecretInEvents(bench);
  });
});
