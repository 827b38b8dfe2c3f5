import { describe, expect, it } from "vitest";
import { InMemoryTransport } from "./in-memory-transport.js";
import type { InboundBatch } from "./transport.js";

describe("InMemoryTransport", () => {
  it("delivers in order, from the latest message on, batch after batch", async () => {
    const transport = new InMemoryTransport();
    await transport.publish([{ topic: "s", key: "k", value: "before start" }]);
    const seen: string[] = [];
    let release: () => void = () => {};
    const firstBatchHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    await transport.start({
      signals: {
        topic: "s",
        handle: async (batch: InboundBatch) => {
          seen.push(...batch.messages.map((m) => m.value?.toString() ?? ""));
          if (seen.length === 1) await firstBatchHeld;
        },
      },
      ticks: { topic: "t", handle: async () => {} },
    });
    await transport.publish([{ topic: "s", key: "k", value: "one" }]);
    await transport.publish([
      { topic: "s", key: "k", value: "two" },
      { topic: "s", key: "k", value: "three" },
    ]);
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await transport.stop();
    expect(seen).toEqual(["one", "two", "three"]);
  });

  it("reports the topics it created", async () => {
    const transport = new InMemoryTransport();
    expect(await transport.ensureTopics(["a", "b"])).toEqual(["a", "b"]);
    expect(await transport.ensureTopics(["a", "c"])).toEqual(["c"]);
  });
});
