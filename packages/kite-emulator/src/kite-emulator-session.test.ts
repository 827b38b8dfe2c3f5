import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KiteEmulator } from "./kite-emulator.js";
import { clientFor, type Kite, rejectionOf } from "./test-support/kite-client.js";

const TOKEN_REJECTION = {
  status: "error",
  message: "Incorrect `api_key` or `access_token`.",
  error_type: "TokenException",
  data: null,
};

let emulator: KiteEmulator;
let kite: Kite;

beforeEach(async () => {
  emulator = new KiteEmulator({ apiKey: "key1", accessToken: "token1" });
  await emulator.start();
  kite = clientFor(emulator);
});

afterEach(async () => {
  await emulator.stop();
});

describe("session and headers", () => {
  it("answers a wrong access token with TokenException and calls the session expiry hook", async () => {
    const stranger = clientFor(emulator, { access_token: "wrong" });
    const hook = vi.fn();
    stranger.setSessionExpiryHook(hook);
    expect(await rejectionOf(stranger.getProfile())).toEqual(TOKEN_REJECTION);
    expect(hook).toHaveBeenCalledOnce();
  });

  it("answers 403 over the wire", async () => {
    const response = await fetch(`${emulator.url}/user/profile`, {
      headers: { "X-Kite-Version": "3", Authorization: "token key1:nope" },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual(TOKEN_REJECTION);
  });

  it("accepts only the new token after setAccessToken", async () => {
    emulator.setAccessToken("token2");
    expect(await rejectionOf(kite.getProfile())).toEqual(TOKEN_REJECTION);
    kite.setAccessToken("token2");
    await expect(kite.getProfile()).resolves.toMatchObject({ user_id: "AB1234" });
  });

  it("rejects every token after expireToken", async () => {
    emulator.expireToken();
    expect(emulator.accessToken).toBeNull();
    expect((await rejectionOf(kite.getOrders())).error_type).toBe("TokenException");
  });

  it("requires X-Kite-Version: 3", async () => {
    const response = await fetch(`${emulator.url}/user/profile`, {
      headers: { Authorization: "token key1:token1" },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error_type: "InputException", data: null });
  });

  it("logs requests with the Authorization header redacted", async () => {
    await kite.getProfile();
    const [entry] = emulator.requests();
    expect(entry).toMatchObject({ method: "GET", path: "/user/profile", status: 200 });
    expect(entry?.headers.authorization).toBe("REDACTED");
    expect(entry?.headers["x-kite-version"]).toBe("3");
    expect(JSON.stringify(emulator.requests())).not.toContain("token1");
  });

  it("answers unknown routes with 404 GeneralException", async () => {
    const response = await fetch(`${emulator.url}/portfolio/nothing`, {
      headers: { "X-Kite-Version": "3", Authorization: "token key1:token1" },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error_type: "GeneralException" });
  });
});

describe("user endpoints", () => {
  it("returns the profile and Kite-shaped margins", async () => {
    emulator.setAvailableMargin(50_000);
    await expect(kite.getProfile()).resolves.toMatchObject({
      user_id: "AB1234",
      broker: "ZERODHA",
    });
    const margins = (await kite.getMargins()) as unknown as {
      equity: { enabled: boolean; net: number; available: Record<string, number> };
      commodity: { enabled: boolean };
    };
    expect(margins.equity).toMatchObject({
      enabled: true,
      net: 50_000,
      available: { cash: 50_000, live_balance: 50_000, opening_balance: 50_000 },
    });
    expect(margins.commodity.enabled).toBe(true);
  });
});
