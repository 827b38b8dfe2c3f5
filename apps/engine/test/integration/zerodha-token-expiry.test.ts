import { OrderFailedEventSchema } from "@engine/core";
import type { KiteEmulator } from "@engine/kite-emulator";
import { orderTag } from "@engine/trader-zerodha";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestEngine } from "./support/in-process-engine.js";
import { uniqueName } from "./support/kafka.js";
import { validatedSignal } from "./support/messages.js";
import { eventually, httpGet } from "./support/probes.js";
import { Teardown } from "./support/teardown.js";
import {
  accessTokenFile,
  sendAndAwaitEnd,
  startZerodhaScenario,
  type TokenFile,
  type ZerodhaBench,
} from "./support/zerodha-harness.js";

const RELIANCE = 738561;
const TODAYS_TOKEN = "zdexpiry_token_day_one";
const NEXT_TOKEN = "zdexpiry_token_day_two";

interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; reason?: string }>;
}

describe("zerodha: an expired access token, then a rotated one", () => {
  const namespace = uniqueName("zdexpiry");
  const signalTopic = `${namespace}.signals.validated`;
  const strategyId = "zd_expiry";
  const teardown = new Teardown();
  let tokenFile: TokenFile;
  let emulator: KiteEmulator;
  let bench: ZerodhaBench;
  let engine: TestEngine;

  beforeAll(async () => {
    tokenFile = await accessTokenFile(teardown, TODAYS_TOKEN);
    ({ emulator, bench, engine } = await startZerodhaScenario(teardown, {
      namespace,
      kite: { accessToken: TODAYS_TOKEN, fillDelayMs: 50 },
      variables: { KITE_ACCESS_TOKEN_FILE: tokenFile.path },
      strategyIds: [strategyId],
      tokens: [RELIANCE],
    }));
  });

  afterAll(() => teardown.run());

  async function sendSignal(): Promise<string> {
    const signal = validatedSignal({ strategyId, instrumentToken: RELIANCE, quantity: 4 });
    await sendAndAwaitEnd(bench, signalTopic, signal);
    return signal.id;
  }

  async function readiness(): Promise<{ status: number; body: Readiness }> {
    const response = await httpGet(engine, "/ready");
    return { status: response.status, body: JSON.parse(response.text) as Readiness };
  }

  function expectTraderUnavailable(signalId: string): void {
    const outcome = bench.ledger.of(signalId);
    expect(outcome.placed).toHaveLength(0);
    expect(outcome.filled).toHaveLength(0);
    expect(outcome.failed).toHaveLength(1);
    const failed = OrderFailedEventSchema.parse(outcome.failed[0]?.json);
    expect(failed).toMatchObject({
      broker: "zerodha",
      causation_id: signalId,
      data: { error_code: "TRADER_UNAVAILABLE", order_id: "N/A", execution_mode: "zerodha" },
    });
    // No order exists at Kite for it, and paper traded it all the same.
    expect(emulator.stats().ordersByTag[orderTag(signalId)]).toBeUndefined();
    expect(outcome.paper.map((m) => m.topic)).toEqual(["paper.orders.filled"]);
  }

  it("fills on zerodha while the token is valid, and /ready is 200", async () => {
    const id = await sendSignal();
    expect(bench.ledger.problems([id], emulator, { end: "filled" })).toEqual([]);
    expect((await readiness()).status).toBe(200);
  });

  it("fails zerodha with TRADER_UNAVAILABLE once Kite rejects the token, while paper still fills, and /ready names trader:zerodha", async () => {
    // 06:00 IST: the day's token stops working.
    emulator.expireToken();
    const first = await sendSignal();
    expectTraderUnavailable(first);

    const notReady = await eventually(
      readiness,
      (r) => r.status === 503,
      "/ready to answer 503",
      15_000,
    );
    expect(notReady.body.ready).toBe(false);
    expect(notReady.body.checks["trader:zerodha"]?.ok).toBe(false);
    expect(notReady.body.checks["trader:zerodha"]?.reason).toMatch(/token/i);
    expect(notReady.body.checks["trader:paper"]).toEqual({ ok: true });
    expect(notReady.body.checks.kafka).toEqual({ ok: true });

    // A new token exists at Kite, but the engine has not been given it: still unavailable, and
    // the signal costs no placement request.
    emulator.setAccessToken(NEXT_TOKEN);
    const placementsBefore = emulator.stats().placementRequests;
    const second = await sendSignal();
    expectTraderUnavailable(second);
    expect(emulator.stats().placementRequests).toBe(placementsBefore);
    expect((await readiness()).status).toBe(503);
  });

  it("places and fills again after the new token is written to KITE_ACCESS_TOKEN_FILE, without a restart", async () => {
    await tokenFile.write(NEXT_TOKEN);
    const ready = await eventually(
      readiness,
      (r) => r.status === 200,
      "/ready to answer 200 after the rotation",
      30_000,
    );
    expect(ready.body.checks["trader:zerodha"]).toEqual({ ok: true });

    const id = await sendSignal();
    expect(bench.ledger.problems([id], emulator, { end: "filled" })).toEqual([]);
  });
});
