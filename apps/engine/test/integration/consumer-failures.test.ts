import { silentLogger } from "@engine/core";
import type { Admin } from "kafkajs";
import { describe, expect } from "vitest";
import { EngineMetrics } from "../../src/observability/metrics.js";
import { KafkaTransport } from "../../src/transport/kafka-transport.js";
import type { InboundBatch } from "../../src/transport/transport.js";
import { childEnv, freePort, spawnedEngineVariables } from "./test-support/engine-process.js";
import { KAFKA_BROKERS } from "./test-support/environment.js";
import { FILE_SCOPE, integrationTest } from "./test-support/fixtures.js";
import { openAdmin, openProducer, openRecorder, uniqueName } from "./test-support/kafka.js";
import { metricValue } from "./test-support/probes.js";
import { ensureTopic, waitForAllCommitted } from "./test-support/signal-stream.js";

const it = integrationTest.extend("options", FILE_SCOPE, { label: "isolate" });

describe("a message its handler fails on, every time", () => {
  const topic = uniqueName("it.isolate.");
  const groupId = uniqueName("it-isolate-");
  const metrics = new EngineMetrics();
  const seen: string[] = [];
  let admin: Admin;

  it.beforeAll(async ({ teardown }) => {
    admin = await openAdmin(teardown);
    await ensureTopic(admin, topic, 1);
    const transport = new KafkaTransport({
      brokers: KAFKA_BROKERS.split(","),
      clientId: "engine-it-isolate",
      ssl: false,
      sasl: null,
      signalGroupId: groupId,
      tickGroupId: `${groupId}.ticks`,
      deadLetterTopic: (name) => `${name}.dlq`,
      topicPartitions: 1,
      replicationFactor: -1,
      logger: silentLogger,
      metrics,
    });
    await transport.connect();
    teardown.defer(() => transport.close());
    await transport.ensureTopics([topic, `${topic}.dlq`, `${topic}.ticks`]);
    await transport.start({
      signals: {
        topic,
        handle: async (batch: InboundBatch) => {
          for (const message of batch.messages) {
            const text = message.value?.toString() ?? "";
            // A bug one message meets, whenever it is handled.
            if (text === "boom") (undefined as unknown as { boom(): void }).boom();
            seen.push(text);
          }
        },
      },
      ticks: { topic: `${topic}.ticks`, handle: async () => {} },
    });
    teardown.defer(() => transport.stop());
  });

  it("is set aside to the dead-letter topic with the reason; the messages around it are handled and committed", async ({
    teardown,
  }) => {
    const recorder = await openRecorder(teardown, [`${topic}.dlq`]);
    const producer = await openProducer(teardown);
    const [sent] = await producer.send({
      topic,
      messages: ["one", "two", "boom", "three"].map((value) => ({ key: "k", value })),
    });
    const boomOffset = String(BigInt(sent?.baseOffset ?? "0") + 2n);
    await recorder.waitFor(
      () => seen.includes("three") && recorder.messages.length > 0,
      30_000,
      "the message after the bad one, and the bad one's dead letter",
    );
    await waitForAllCommitted(admin, groupId, topic, 20_000);
    // Handled again one at a time after the batch failed: in order, each at least once.
    expect([...new Set(seen)]).toEqual(["one", "two", "three"]);
    const [letter] = recorder.messages;
    expect(recorder.messages).toHaveLength(1);
    expect(letter?.key).toBe("k");
    expect(letter?.json).toMatchObject({
      original_topic: topic,
      original_offset: boomOffset,
      payload: "boom",
    });
    expect(String(letter?.json.error)).toMatch(/not handled after 3 tries: TypeError/);
    expect(metricValue(await metrics.registry.metrics(), "engine_dead_letters_total")).toBe(1);
  });
});

describe("a consumer its client gives up on", () => {
  it("ends the process with exit code 1, not alive and never consuming", async ({
    db,
    engines,
  }) => {
    const engine = engines.spawn(
      "engine-fatal",
      childEnv({
        ...spawnedEngineVariables("engine-it-fatal", {
          databaseUrl: db.url,
          namespace: uniqueName("fatal"),
          groupIdPrefix: uniqueName("it-fatal-"),
          httpPort: await freePort(),
        }),
        // Below the broker's group.min.session.timeout.ms: joining the group fails for good.
        KAFKA_SESSION_TIMEOUT_MS: "1000",
      }),
    );
    const exit = await Promise.race([
      engine.exited,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000)),
    ]);
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(engine.output).toMatch(/INVALID_SESSION_TIMEOUT|session timeout/i);
  });
});
