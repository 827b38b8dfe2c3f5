import { type Env, SettingsError, silentLogger } from "@engine/core";
import { paperPlugin } from "@engine/trader-paper";
import type { Admin } from "kafkajs";
import { describe, expect } from "vitest";
import { controlStatus, sendControl } from "../../src/app/control-cli.js";
import { Engine } from "../../src/app/engine.js";
import { controlEnv, stateOn } from "./test-support/controls.js";
import { KAFKA_BROKERS } from "./test-support/environment.js";
import { benchTest, FILE_SCOPE } from "./test-support/fixtures.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import { baseEnv } from "./test-support/in-process-engine.js";
import { sleep } from "./test-support/probes.js";

const it = benchTest.extend("options", FILE_SCOPE, { label: "ctopic" });

/** What `engine halt|reduce|status` read: the brokers and the control topic. */
function cliEnv(topic: string): Env {
  return { KAFKA_BROKERS, ENGINE_CONTROL_TOPIC: topic };
}

async function waitFor(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function readiness(engine: TestEngine) {
  const response = await fetch(`http://127.0.0.1:${engine.running.httpPort}/ready`);
  return {
    status: response.status,
    body: (await response.json()) as { checks: { controls?: { ok: boolean } } },
  };
}

async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  return (await admin.listTopics()).includes(topic);
}

/** Issue 13 (break-it): a control topic the engine cannot read in order, or that is replaced under it. */
describe("the control topic", () => {
  it("is refused with 3 partitions by the engine at start and by the CLI; a missing one is refused by the CLI, not created", async ({
    bench,
    db,
    site,
    teardown,
  }) => {
    const { ENGINE_CONTROL_TOPIC: topic } = controlEnv("ctopic.parts");
    await bench.admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 3,
          configEntries: [{ name: "cleanup.policy", value: "compact" }],
        },
      ],
    });
    teardown.defer(() => bench.admin.deleteTopics({ topics: [topic] }));
    const refusal = new RegExp(`ENGINE_CONTROL_TOPIC: control topic "${topic}" has 3 partitions`);

    const engine = new Engine({
      env: baseEnv(db.url, site.namespace, { ENGINE_CONTROL_TOPIC: topic }),
      logger: silentLogger,
      plugins: [paperPlugin],
    });
    const started = engine.start();
    await expect(started).rejects.toThrow(SettingsError);
    await expect(started).rejects.toThrow(refusal);
    await engine.stop();

    const halt = sendControl(cliEnv(topic), "HALTED", { reason: "drill" }, silentLogger);
    await expect(halt).rejects.toThrow(refusal);
    expect((await bench.admin.fetchTopicOffsets(topic)).map((p) => p.high)).toEqual([
      "0",
      "0",
      "0",
    ]);

    const misspelt = `${topic}-typo`;
    const missing = new RegExp(`ENGINE_CONTROL_TOPIC: control topic "${misspelt}" does not exist`);
    await expect(
      sendControl(cliEnv(misspelt), "HALTED", { reason: "drill" }, silentLogger),
    ).rejects.toThrow(missing);
    await expect(controlStatus(cliEnv(misspelt), silentLogger)).rejects.toThrow(missing);
    expect(await topicExists(bench.admin, misspelt)).toBe(false);
  });

  it("deleted and re-created under a running engine: /ready fails on the controls until the new topic is read from its beginning, and a halt written on it is obeyed", async ({
    bench,
    startEngine,
    teardown,
  }) => {
    const { ENGINE_CONTROL_TOPIC: topic } = controlEnv("ctopic.recreated");
    teardown.defer(() => bench.admin.deleteTopics({ topics: [topic] }).catch(() => {}));
    const engine = await startEngine({ ENGINE_CONTROL_TOPIC: topic });
    await waitFor("controls read", () => engine.running.controls.caughtUp);
    // A few changes on the old topic, so the new topic's offsets are below the last one read.
    for (const reason of ["one", "two", "three"]) {
      await sendControl(cliEnv(topic), "REDUCING", { strategy: "other", reason }, silentLogger);
    }
    await waitFor("old changes read", () => stateOn(engine, "other", "paper") === "REDUCING");
    expect((await readiness(engine)).status).toBe(200);

    await bench.admin.deleteTopics({ topics: [topic] });
    await waitFor("/ready failing on the controls", async () => {
      const { status, body } = await readiness(engine);
      return status === 503 && body.checks.controls?.ok === false;
    });

    // Re-created (by the engine, or by ops: whichever comes first), then a halt written on it.
    await waitFor("a halt on the new topic", async () => {
      if (!(await topicExists(bench.admin, topic))) return false;
      return sendControl(cliEnv(topic), "HALTED", { reason: "after re-create" }, silentLogger).then(
        () => true,
        () => false,
      );
    });
    await waitFor("the halt obeyed", () => stateOn(engine, "s", "paper") === "HALTED");
    await waitFor("/ready again", async () => (await readiness(engine)).status === 200);
    // The old topic's scope is not on the new one: kept as it was, the stricter view.
    expect(stateOn(engine, "other", "paper")).toBe("HALTED");
    expect(
      engine.running.controls
        .list()
        .map((c) => c.key)
        .sort(),
    ).toEqual(["global", "strategy:other"]);
  });
});
