import type { KiteEmulator } from "@engine/kite-emulator";
import type { Admin, Producer } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import {
  dumpOnFailure,
  type EngineProcess,
  freePort,
  scratchDir,
  spawnEngine,
} from "./support/engine-process.js";
import { baseEnv, type TestEngine } from "./support/in-process-engine.js";
import { connectProducer, TopicRecorder, uniqueName } from "./support/kafka.js";
import { asMessage, validatedSignal } from "./support/messages.js";
import { eventually, httpGet } from "./support/probes.js";
import { connectAdmin, sendTicks } from "./support/signal-stream.js";
import {
  accessTokenFile,
  CapturingLogger,
  connectSql,
  PAPER_RESULT_TOPICS,
  prepareSignals,
  putZerodhaStrategy,
  startKiteEmulator,
  startZerodhaEngine,
  type TestSql,
  type TokenFile,
  ZERODHA_RESULT_TOPICS,
  zerodhaProcessEnv,
  zerodhaVariables,
} from "./support/zerodha-harness.js";
import { ZerodhaLedger } from "./support/zerodha-outcomes.js";

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

/** How a flow reaches its engine: send a signal, read an HTTP path. */
interface FlowTarget {
  send(signal: ReturnType<typeof validatedSignal>): Promise<void>;
  http(path: string): Promise<Probe>;
}

describe("zerodha: the access token and the API secret never reach a log line or an event", () => {
  const strategyId = "zd_secrets";
  const dir = scratchDir("zerodha-secrets");
  const engines: EngineProcess[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  let db: TestDatabase;
  let sql: TestSql;
  let producer: Producer;
  let admin: Admin;
  let recorder: TopicRecorder;
  let ledger: ZerodhaLedger;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connectSql(db.url);
    producer = await connectProducer();
    admin = await connectAdmin();
    recorder = await new TopicRecorder([...ZERODHA_RESULT_TOPICS, ...PAPER_RESULT_TOPICS]).start();
    ledger = new ZerodhaLedger(recorder);
  });

  afterEach(async (context) => {
    dumpOnFailure(context.task.result?.state, engines);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await Promise.all(engines.map((engine) => engine.dispose()));
    await recorder?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await sql?.close();
    await db?.drop();
  });

  /** An emulator that knows the secrets and posts back to `postbackPort`, and a token file. */
  async function kite(postbackPort: number): Promise<{ emulator: KiteEmulator; file: TokenFile }> {
    const emulator = await startKiteEmulator({
      accessToken: ACCESS_TOKEN,
      fillDelayMs: 50,
      postbackUrl: `http://127.0.0.1:${postbackPort}/kite/postback`,
      apiSecret: API_SECRET,
    });
    const file = await accessTokenFile(ACCESS_TOKEN);
    cleanups.push(() => emulator.stop(), file.remove);
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
      ZERODHA_EXECUTION_BUDGET_MS: "6000",
      ZERODHA_RECONCILE_DELAY_MS: "100",
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
      await target.send(signal);
      await ledger.waitForEnds([signal.id], 30_000);
      const outcome = ledger.of(signal.id);
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
    const events = recorder.messages.map((m) => `${m.topic} ${m.key ?? ""} ${m.value}`);
    expect(events.length).toBeGreaterThan(0);
    expect(leaked(events.join("\n"))).toEqual([]);
  }

  it("in process: no line of a logger that records everything, at every level, holds a secret", async () => {
    const namespace = uniqueName("zdsecret");
    const signalTopic = `${namespace}.signals.validated`;
    const postbackPort = await freePort();
    const { emulator, file } = await kite(postbackPort);
    await prepareSignals(admin, signalTopic, `it-${namespace}`);
    const logger = new CapturingLogger();
    const engine: TestEngine = await startZerodhaEngine(
      baseEnv(db.url, namespace, {
        ...zerodhaVariables(emulator.url),
        ...secretVariables(emulator, file, postbackPort),
        LOG_LEVEL: "debug",
      }),
      { logger },
    );
    cleanups.push(() => engine.stop());
    await putZerodhaStrategy(sql, strategyId);

    const probes = await runFlow(emulator, file, {
      send: async (signal) => {
        await producer.send({ topic: signalTopic, acks: -1, messages: [asMessage(signal)] });
      },
      http: (path) => httpGet(engine, path),
    });
    await engine.stop();

    // The flow was logged (its failures included), and nothing logged holds a secret.
    expect(logger.lines.length).toBeGreaterThan(10);
    const text = logger.text();
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
    await prepareSignals(admin, signalTopic, groupIdPrefix);
    const engine = spawnEngine({
      name: "zerodha-secrets-engine",
      logDir: dir,
      env: zerodhaProcessEnv({
        databaseUrl: db.url,
        namespace,
        groupIdPrefix,
        httpPort: await freePort(),
        emulatorUrl: emulator.url,
        extra: { ...secretVariables(emulator, file, postbackPort), LOG_LEVEL: "debug" },
      }),
    });
    engines.push(engine);
    await engine.waitReady();
    await putZerodhaStrategy(sql, strategyId);
    await sendTicks(producer, [RELIANCE]);

    const probes = await runFlow(emulator, file, {
      send: async (signal) => {
        await producer.send({ topic: signalTopic, acks: -1, messages: [asMessage(signal)] });
      },
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
