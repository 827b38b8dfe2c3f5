import { createServer } from "node:net";
import { ExecutionResultSchema } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { postbackChecksum } from "./postbacks/postback-checksum.js";
import {
  API_SECRET,
  eventually,
  startEmulator,
  todaysSignal,
  traderFor,
} from "./test-support/harness.js";
import type { ZerodhaTrader } from "./zerodha-trader.js";

let emulator: KiteEmulator | undefined;
let trader: ZerodhaTrader | undefined;

afterEach(async () => {
  await trader?.shutdown();
  await emulator?.stop();
});

/** A port free right now (the emulator needs the postback URL before the trader listens). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("ZerodhaTrader: Kite postbacks", () => {
  it("wakes the order's follower early on a verified postback", async () => {
    const port = await freePort();
    emulator = await startEmulator({
      fillDelayMs: 300,
      postbackUrl: `http://127.0.0.1:${port}/kite/postback`,
      apiSecret: API_SECRET,
    });
    // Polls every 10 s: only the postback can bring the answer within the test's time.
    ({ trader } = traderFor(emulator, {
      KITE_POSTBACK_PORT: String(port),
      KITE_POSTBACK_HOST: "127.0.0.1",
      ZERODHA_POLL_INTERVAL_MS: "10000",
    }));
    expect(await trader.initialize()).toBe(true);
    expect(trader.postbackUrl).toBe(`http://127.0.0.1:${port}`);
    const signal = todaysSignal({ id: "sig-postback" });
    const placed = await trader.executeOrder(signal, null);
    if (placed.kind !== "placed") throw new Error("expected placed");

    const started = Date.now();
    const result = await trader.awaitOrderCompletion(
      signal,
      placed.payload,
      new AbortController().signal,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(ExecutionResultSchema.parse(result).kind).toBe("filled");
    expect(emulator.stats().postbacksSent).toBeGreaterThan(0);
  });

  it("ignores a postback with a forged checksum", async () => {
    const port = await freePort();
    emulator = await startEmulator();
    ({ trader } = traderFor(emulator, {
      KITE_POSTBACK_PORT: String(port),
      KITE_POSTBACK_HOST: "127.0.0.1",
      ZERODHA_POLL_INTERVAL_MS: "10000",
      ZERODHA_ORDER_TYPE: "LIMIT",
    }));
    expect(await trader.initialize()).toBe(true);
    // A limit far below the market: the order stays OPEN.
    const signal = todaysSignal({ id: "sig-forged", validatedPrice: 1000 });
    const placed = await trader.executeOrder(signal, null);
    if (placed.kind !== "placed") throw new Error("expected placed");
    const orderId = placed.payload.order_id;
    const historyReads = () => emulator?.stats().requestsByPath["GET /orders/:order_id"] ?? 0;
    const abort = new AbortController();
    const waiting = trader.awaitOrderCompletion(signal, placed.payload, abort.signal);
    await eventually(() => historyReads() === 1);

    const post = (secret: string) => {
      const ts = "2026-11-25 09:15:02";
      return fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        body: JSON.stringify({
          order_id: orderId,
          order_timestamp: ts,
          status: "COMPLETE",
          checksum: postbackChecksum(orderId, ts, secret),
        }),
      });
    };
    expect((await post("not-the-secret")).status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Not woken: no second look at the order.
    expect(historyReads()).toBe(1);
    // The same postback, signed with the secret, wakes it at once.
    expect((await post(API_SECRET)).status).toBe(200);
    await eventually(() => historyReads() === 2);
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
  });
});
