import { join } from "node:path";
import type { Admin, Producer } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, putStrategy, type TestDatabase } from "./support/database.js";
import {
  dumpOnFailure,
  type EngineProcess,
  engineEnv,
  freePort,
  scratchDir,
  signalGroupId,
  spawnEngine,
} from "./support/engine-process.js";
import { connectProducer, TopicRecorder, uniqueName } from "./support/kafka.js";
import { liveRecordProblems, ResultLedger, resultTopics } from "./support/result-ledger.js";
import {
  committedAndEnd,
  connectAdmin,
  eventually,
  produceStream,
  sendTicks,
  signalSeries,
  tokensCoveringPartitions,
} from "./support/signal-stream.js";

const NAMESPACES = ["paper", "livesim"];
const SIGNALS = 300;

describe("engine process killed with SIGKILL mid-stream", () => {
  const namespace = uniqueName("crash");
  const groupIdPrefix = uniqueName("it-crash-");
  const signalTopic = `${namespace}.signals.validated`;
  const dir = scratchDir("engine-crash");
  const recordFile = join(dir, "livesim-orders.jsonl");
  let db: TestDatabase;
  let producer: Producer;
  let admin: Admin;
  let recorder: TopicRecorder;
  let ledger: ResultLedger;
  const engines: EngineProcess[] = [];

  async function startEngine(name: string): Promise<EngineProcess> {
    const engine = spawnEngine({
      name,
      logDir: dir,
      env: engineEnv({
        databaseUrl: db.url,
        namespace,
        groupIdPrefix,
        httpPort: await freePort(),
        recordFile,
        extra: {
          LIVESIM_DELAY_MS: "5",
          // The lease of a dead instance's claims is twice this plus 5 s: recovery waits for it.
          EXECUTION_TIMEOUT_MS: "2000",
        },
      }),
    });
    engines.push(engine);
    return engine;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    producer = await connectProducer();
    admin = await connectAdmin();
    recorder = await new TopicRecorder(resultTopics(NAMESPACES)).start();
    ledger = new ResultLedger(recorder, NAMESPACES);
  });

  afterEach((context) => {
    dumpOnFailure(context.task.result?.state, engines, () =>
      ledger ? `results: ${ledger.describe()}` : "",
    );
  });

  afterAll(async () => {
    await Promise.all(engines.map((engine) => engine.dispose()));
    await recorder?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await db?.drop();
  });

  it("gives every signal exactly one result per namespace and trades none twice after a restart", async () => {
    const strategyId = "crash_live";
    const tokens = tokensCoveringPartitions(strategyId, 3, 2);
    const { signals, byKey } = signalSeries(strategyId, tokens, SIGNALS);
    const ids = signals.map((signal) => signal.id);
    ledger.expect(ids);

    const first = await startEngine("engine-1");
    await first.waitReady();
    await putStrategy(db, { id: strategyId, zerodhaTradingEnabled: true });
    await sendTicks(producer, tokens);

    let sent = 0;
    const streaming = produceStream(producer, signalTopic, signals, {
      durationMs: 3_000,
      onSent: (count) => {
        sent = count;
      },
    });
    await eventually(
      () => ledger.completed() >= SIGNALS / 3,
      30_000,
      () => `a third of the results before the kill: ${ledger.describe()}`,
      10,
    );
    const killed = await first.stop("SIGKILL");
    const completedAtKill = ledger.completed();
    const sentAtKill = sent;
    expect(killed.signal).toBe("SIGKILL");
    // Killed in the middle of the stream, not after it.
    expect(completedAtKill).toBeLessThan(SIGNALS);
    expect(sentAtKill).toBeLessThan(SIGNALS);

    const second = await startEngine("engine-2");
    await streaming;
    // Joining waits for the dead member's session (30 s) to expire.
    await second.waitReady(60_000);
    await sendTicks(producer, tokens);
    await ledger.waitForAll(60_000);
    // Everything produced is handled and committed: no late result can still come.
    await eventually(
      async () =>
        (await committedAndEnd(admin, signalGroupId(groupIdPrefix), signalTopic)).every(
          (p) => p.committed === p.end,
        ),
      30_000,
      async () =>
        `committed offsets at the end: ${JSON.stringify(
          await committedAndEnd(admin, signalGroupId(groupIdPrefix), signalTopic),
        )}`,
    );
    // Let any copy published just before the last commit reach the recorder.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(ledger.problems()).toEqual([]);
    expect(liveRecordProblems(recordFile, ids)).toEqual([]);
    // Within a key, results come in signal order, copies and recovery included.
    expect(ledger.orderProblems("livesim.orders.filled", byKey)).toEqual([]);

    const journal = await db.query<{ status: string; count: string }>(
      "select status, count(*)::text as count from engine_execution_journal group by status",
    );
    expect(journal).toEqual([{ status: "completed", count: String(SIGNALS * 2) }]);
    const recovered = await db.query<{ count: string }>(
      "select count(*)::text as count from engine_execution_journal where attempts > 1",
    );
    process.stdout.write(
      `crash-recovery: killed after ${completedAtKill}/${SIGNALS} results (${sentAtKill} sent); ${recovered[0]?.count} executions recovered from an interrupted claim\n`,
    );
  });
});
