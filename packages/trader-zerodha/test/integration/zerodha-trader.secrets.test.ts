import type { CancelOutcome, OrderQuery, OrderStatusBatch, SubmitResult } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { createKiteApi, type KiteApi } from "../../src/kite/kite-api.js";
import {
  ACCESS_TOKEN,
  API_KEY,
  API_SECRET,
  eventually,
  refOf,
  startEmulator,
  submit,
  todaysSignal,
  tokenFile,
  traderFor,
} from "../../src/test-support/harness.js";
import type { ZerodhaTrader } from "../../src/zerodha-trader.js";

const ROTATED = "rotated_secret_token_987654";

let emulator: KiteEmulator | undefined;
const traders: ZerodhaTrader[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(traders.splice(0).map((trader) => trader.shutdown()));
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await emulator?.stop();
});

function expectNoSecret(text: string): void {
  for (const secret of [ACCESS_TOKEN, ROTATED, API_SECRET]) expect(text).not.toContain(secret);
}

describe("ZerodhaTrader: secrets stay secret", () => {
  it("puts no token or API secret in any log line or result, through expiry, rotation and faults", async () => {
    emulator = await startEmulator();
    const file = await tokenFile(ACCESS_TOKEN);
    cleanups.push(file.remove);
    const { trader, logger } = traderFor(emulator, {
      KITE_ACCESS_TOKEN_FILE: file.path,
      KITE_TIMEOUT_MS: "300",
      // An obsolete variable is reported at start, by name only.
      ZERODHA_EXECUTION_BUDGET_MS: "3000",
    });
    traders.push(trader);
    expect(await trader.initialize()).toBe(true);
    const results: (SubmitResult | OrderQuery | OrderStatusBatch | CancelOutcome)[] = [];
    const run = async (id: string) => {
      const signal = todaysSignal({ id });
      const result = await submit(trader, signal);
      results.push(result);
      const orderId = result.kind === "placed" ? result.payload.order_id : null;
      results.push(await trader.queryOrder(refOf(signal, orderId)));
      results.push(await trader.orderStatusReports([refOf(signal, orderId)]));
      results.push(await trader.cancelOrder(refOf(signal, orderId)));
    };

    await run("secret-1");
    emulator.setFaults({
      timeoutAfterAccept: { next: 1, hangMs: 2_000 },
      orderSystemDown: { next: 1 },
    });
    await run("secret-2");
    await run("secret-3");
    emulator.setFaults({ unexpectedContentType: { next: 1 } });
    await run("secret-4");
    emulator.expireToken();
    await run("secret-5");
    emulator.setAccessToken(ROTATED);
    await file.write(ROTATED);
    await eventually(() => trader.health().status === "ready");
    await run("secret-6");
    emulator.setAvailableMargin(10);
    await run("secret-7");

    const seen = new Set(results.map((result) => result.kind));
    for (const kind of ["placed", "failed", "unknown", "found", "ok", "unavailable", "too_late"]) {
      expect(seen).toContain(kind);
    }
    expect(logger.text()).toContain(
      "ZERODHA_EXECUTION_BUDGET_MS is set but no longer does anything",
    );
    expect(logger.records.length).toBeGreaterThan(5);
    expectNoSecret(logger.text());
    expectNoSecret(JSON.stringify(results));
    const health = trader.health();
    expectNoSecret(JSON.stringify(health));
  });

  it("redacts a secret even when Kite's own message carries one", async () => {
    emulator = await startEmulator();
    const real = createKiteApi({
      apiKey: API_KEY,
      accessToken: ACCESS_TOKEN,
      root: emulator.url,
      timeoutMs: 2_000,
      instrumentsTimeoutMs: 2_000,
    });
    const api: KiteApi = {
      ...real,
      placeOrder: () =>
        Promise.reject({
          error_type: "InputException",
          message: `bad request with token ${API_KEY}:${ACCESS_TOKEN} and ${API_SECRET}`,
          config: { headers: { Authorization: `token ${API_KEY}:${ACCESS_TOKEN}` } },
        }),
    };
    const { trader, logger } = traderFor(emulator, {}, { tuning: { api } });
    traders.push(trader);
    expect(await trader.initialize()).toBe(true);
    const result = await submit(trader, todaysSignal({ id: "secret-echo" }));
    expect(result).toMatchObject({ kind: "failed", payload: { error_code: "BROKER_REJECTED" } });
    expect(result.kind === "failed" && result.payload.error_message).toContain("[redacted]");
    expectNoSecret(JSON.stringify(result));
    expectNoSecret(logger.text());
  });
});
