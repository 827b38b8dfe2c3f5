import { createServer } from "node:net";
import type { KiteEmulator } from "@engine/kite-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { postbackChecksum } from "../../src/postbacks/postback-checksum.js";
import {
  API_SECRET,
  eventually,
  placedId,
  startEmulator,
  submit,
  todaysSignal,
  traderFor,
} from "../../src/test-support/harness.js";
import type { ZerodhaTrader } from "../../src/zerodha-trader.js";

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
  it("tells the engine that orders changed on a verified postback from Kite", async () => {
    const port = await freePort();
    emulator = await startEmulator({
      fillDelayMs: 100,
      postbackUrl: `http://127.0.0.1:${port}/kite/postback`,
      apiSecret: API_SECRET,
    });
    let changed = 0;
    ({ trader } = traderFor(
      emulator,
      { KITE_POSTBACK_PORT: String(port), KITE_POSTBACK_HOST: "127.0.0.1" },
      { ordersChanged: () => (changed += 1) },
    ));
    expect(await trader.initialize()).toBe(true);
    expect(trader.postbackUrl).toBe(`http://127.0.0.1:${port}`);
    placedId(await submit(trader, todaysSignal({ id: "sig-postback" })));
    expect(changed).toBe(0);
    // The emulator posts when the order completes, 100 ms later.
    await eventually(() => changed > 0);
    await emulator.flushPostbacks();
    expect(emulator.stats().postbacksSent).toBe(changed);
  });

  it("ignores a postback with a forged checksum", async () => {
    const port = await freePort();
    emulator = await startEmulator();
    let changed = 0;
    ({ trader } = traderFor(
      emulator,
      { KITE_POSTBACK_PORT: String(port), KITE_POSTBACK_HOST: "127.0.0.1" },
      { ordersChanged: () => (changed += 1) },
    ));
    expect(await trader.initialize()).toBe(true);
    const orderId = "261201000000001";
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
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changed).toBe(0);
    // The same postback, signed with the secret, is taken.
    expect((await post(API_SECRET)).status).toBe(200);
    expect(changed).toBe(1);
  });
});
