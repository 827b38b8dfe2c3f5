import { silentLogger } from "@engine/core";
import { postbackChecksum as emulatorChecksum } from "@engine/kite-emulator";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { postbackChecksum, verifyPostbackChecksum } from "./postback-checksum.js";
import { PostbackServer, type VerifiedPostback } from "./postback-server.js";

const SECRET = "postback_secret_123456";
let server: PostbackServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function listening(): Promise<{ url: string; received: VerifiedPostback[] }> {
  const received: VerifiedPostback[] = [];
  server = new PostbackServer({
    port: 0,
    host: "127.0.0.1",
    apiSecret: SECRET,
    logger: silentLogger,
    onPostback: (postback) => received.push(postback),
  });
  return { url: await server.start(), received };
}

function body(orderId: string, timestamp: string, checksum: string): string {
  return JSON.stringify({
    order_id: orderId,
    order_timestamp: timestamp,
    status: "COMPLETE",
    checksum,
    average_price: 1425.3,
  });
}

describe("postback checksum", () => {
  it("is Kite's sha256(order_id + order_timestamp + api_secret), as the emulator computes it", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 1 }), (id, ts, secret) => {
        expect(postbackChecksum(id, ts, secret)).toBe(emulatorChecksum(id, ts, secret));
        expect(verifyPostbackChecksum(id, ts, postbackChecksum(id, ts, secret), secret)).toBe(true);
      }),
    );
  });

  it("rejects a checksum made with another secret, or malformed", () => {
    const good = postbackChecksum("1", "2026-11-25 09:15:00", SECRET);
    expect(verifyPostbackChecksum("1", "2026-11-25 09:15:00", good, "other")).toBe(false);
    expect(verifyPostbackChecksum("2", "2026-11-25 09:15:00", good, SECRET)).toBe(false);
    expect(verifyPostbackChecksum("1", "2026-11-25 09:15:00", "zz", SECRET)).toBe(false);
    expect(verifyPostbackChecksum("1", "2026-11-25 09:15:00", good.toUpperCase(), SECRET)).toBe(
      true,
    );
  });
});

describe("PostbackServer", () => {
  it("accepts a postback with the right checksum and hands on its order id", async () => {
    const { url, received } = await listening();
    const ts = "2026-11-25 09:15:02";
    const response = await fetch(`${url}/kite/postback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body("251125000000001", ts, postbackChecksum("251125000000001", ts, SECRET)),
    });
    expect(response.status).toBe(200);
    expect(received).toEqual([{ orderId: "251125000000001", status: "COMPLETE" }]);
  });

  it("rejects a wrong checksum with 403 and hands nothing on", async () => {
    const { url, received } = await listening();
    const ts = "2026-11-25 09:15:02";
    const forged = postbackChecksum("251125000000001", ts, "guessed-secret");
    const response = await fetch(url, {
      method: "POST",
      body: body("251125000000001", ts, forged),
    });
    expect(response.status).toBe(403);
    expect(received).toEqual([]);
  });

  it.each([
    ["GET", undefined, 405],
    ["POST", "not json", 400],
    ["POST", JSON.stringify({ order_id: "1" }), 400],
    ["POST", "x".repeat(70_000), 413],
  ])("answers %s %#: %i", async (method, payload, status) => {
    const { url, received } = await listening();
    const response = await fetch(url, {
      method,
      ...(payload === undefined ? {} : { body: payload }),
    });
    expect(response.status).toBe(status);
    expect(received).toEqual([]);
  });
});
