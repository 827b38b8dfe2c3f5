import { RecordingLogger } from "@engine/core/testing";
import type { KiteEmulator } from "@engine/kite-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, SpawnedEngines } from "./support/engine-process.js";
import { uniqueName } from "./support/kafka.js";
import { validatedSignal } from "./support/messages.js";
import { eventually, httpGet } from "./support/probes.js";
import { sendTicks } from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";
import {
  accessTokenFile,
  openZerodhaBench,
  prepareSignals,
  putZerodhaStrategy,
  sendAndAwaitEnd,
  startKiteEmulator,
  startZerodhaEngine,
  type TokenFile,
  type ZerodhaBench,
  zerodhaProcessEnv,
} from "./support/zerodha-harness.js";

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

describe("zerodha: the access token and the API secret never reach a log line or an event", () => {
  const strategyId = "zd_secrets";
  const teardown = new Teardown();
  /** What one test set up for itself: undone after it. */
  const testTeardown = new Teardown();
  const engines = new SpawnedEngines(teardown, "zerodha-secrets");
  let bench: ZerodhaBench;

  beforeAll(async () => {
    bench = await openZerodhaBench(teardown);
  });

  afterEach(async (context) => {
    engines.dumpOnFailure(context.task.result?.state);
    await testTeardown.run();
  });

  afterAll(() => teardown.run());

  /** An emulator that knows the secrets and posts back to `postbackPort`, and a token file. */
  async function kite(postbackPort: number): Promise<{ emulator: KiteEmulator; file: TokenFile }> {
    const emulator = await startKiteEmulator(testTeardown, {
      accessToken: ACCESS_TOKEN,
      fillDelayMs: 50,
      postbackUrl: `http://127.0.0.1:${postbackPort}/kite/postback`,
      apiSecret: API_SECRET,
    });
    const file = await accessTokenFile(testTeardown, ACCESS_TOKEN);
    return { emulator, file };
  }

  /** The variables every engine here gets: both secrets, the token file, postbacks on. */
  function secretVariables(emulator: KiteEmulator, file: TokenFile, postbackPort: number) {
    return {
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      KITE_ACCESS_TOKEN_FILE: file.path,
      KITE_API_SECRET: API_SECRET,
      KITE_POSTBACK_PORT: String(postbackPort),
      KITE_POSTBACK_HOST: "127.0.0.1",
      KITE_TIMEOUT_MS: "800",
      KITE_API_ROOT: emulator.url,
    };
  }

  /**
   * A success, a margin rejection, a 5xx and a timeout after acceptance (both reconciled), a
   * token expiry, then a rotation through the file and another success. Checks each outcome, so
   * the scan afterwards covers every path. Returns the /ready answers seen.
   */
  async function runFlow(emulator: KiteEmulator, file: TokenFile, target: FlowTarget) {
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

  function expectNoSecretInEvents(): void {
    const events = bench.recorder.messages.map((m) => `${m.topic} ${m.key ?? ""} ${m.value}`);
    expect(events.length).toBeGreaterThan(0);
    expect(leaked(events.join("\n"))).toEqual([]);
  }

  it("in process: no line of a logger that records everything, at every level, holds a secret", async () => {
    const namespace = uniqueName("zdsecret");
    const signalTopic = `${namespace}.signals.validated`;
    const postbackPort = await freePort();
    const { emulator, file } = await kite(postbackPort);
    const logger = new RecordingLogger();
    const engine = await startZerodhaEngine(testTeardown, bench, {
      namespace,
      emulator,
      variables: { ...secretVariables(emulator, file, postbackPort), LOG_LEVEL: "debug" },
      logger,
    });
    await putZerodhaStrategy(bench.sql, strategyId);

    const probes = await runFlow(emulator, file, {
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
    expectNoSecretInEvents();
  });

  it("as a process: nothing on stdout or stderr of a spawned engine at debug level holds a secret", async () => {
    const namespace = uniqueName("zdsecretp");
    const groupIdPrefix = uniqueName("it-zdsecretp-");
    const signalTopic = `${namespace}.signals.validated`;
    const postbackPort = await freePort();
    const { emulator, file } = await kite(postbackPort);
    await prepareSignals(bench.admin, signalTopic, groupIdPrefix);
    const engine = engines.spawn(
      "zerodha-secrets-engine",
      zerodhaProcessEnv({
        databaseUrl: bench.db.url,
        namespace,
        groupIdPrefix,
        httpPort: await freePort(),
        emulatorUrl: emulator.url,
        extra: { ...secretVariables(emulator, file, postbackPort), LOG_LEVEL: "debug" },
      }),
    );
    await engine.waitReady();
    await putZerodhaStrategy(bench.sql, strategyId);
    await sendTicks(bench.producer, [RELIANCE]);

    const probes = await runFlow(emulator, file, {
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
    expectNoSecretInEvents();
  });
});
