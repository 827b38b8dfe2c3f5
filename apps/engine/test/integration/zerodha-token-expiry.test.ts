import { OrderFailedEventSchema } from "@engine/core";
import { orderTag } from "@engine/trader-zerodha";
import { describe, expect } from "vitest";
import { FILE_SCOPE, zerodhaTest } from "./test-support/fixtures.js";
import { eventually, httpGet, resultCounts } from "./test-support/probes.js";

const RELIANCE = 738561;
const NEXT_TOKEN = "zdexpiry_token_day_two";
const strategyId = "zd_expiry";

interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; reason?: string }>;
}

const it = zerodhaTest
  .extend("options", FILE_SCOPE, {
    label: "zdexpiry",
    accessToken: "zdexpiry_token_day_one",
    tokenFile: true,
    kite: { fillDelayMs: 50 },
    strategyIds: [strategyId],
    tokens: [RELIANCE],
  })
  .extend(
    "sendSignal",
    FILE_SCOPE,
    ({ trade }) =>
      async (): Promise<string> =>
        (await trade({ instrumentToken: RELIANCE, quantity: 4 })).id,
  )
  .extend(
    "readiness",
    FILE_SCOPE,
    ({ engine }) =>
      async (): Promise<{ status: number; body: Readiness }> => {
        const response = await httpGet(engine, "/ready");
        return { status: response.status, body: JSON.parse(response.text) as Readiness };
      },
  )
  .extend(
    "expectTraderUnavailable",
    FILE_SCOPE,
    ({ bench, emulator }) =>
      (signalId: string): void => {
        const outcome = bench.ledger.of(signalId);
        expect(resultCounts(outcome)).toEqual({ placed: 0, filled: 0, failed: 1 });
        const failed = OrderFailedEventSchema.parse(outcome.failed[0]?.json);
        expect(failed).toMatchObject({
          broker: "zerodha",
          causation_id: signalId,
          data: { error_code: "TRADER_UNAVAILABLE", order_id: "N/A", execution_mode: "zerodha" },
        });
        // No order exists at Kite for it, and paper traded it all the same.
        expect(emulator.stats().ordersByTag[orderTag(signalId)]).toBeUndefined();
        expect(outcome.paper.map((m) => m.topic)).toEqual(["paper.orders.filled"]);
      },
  );

describe("zerodha: an expired access token, then a rotated one", () => {
  it("fills on zerodha while the token is valid, and /ready is 200", async ({
    emulator,
    bench,
    sendSignal,
    readiness,
  }) => {
    const id = await sendSignal();
    expect(bench.ledger.problems([id], emulator, { end: "filled" })).toEqual([]);
    expect((await readiness()).status).toBe(200);
  });

  it("fails zerodha with TRADER_UNAVAILABLE once Kite rejects the token, while paper still fills, and /ready names trader:zerodha", async ({
    emulator,
    sendSignal,
    readiness,
    expectTraderUnavailable,
  }) => {
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

  it("places and fills again after the new token is written to KITE_ACCESS_TOKEN_FILE, without a restart", async ({
    emulator,
    bench,
    tokenFile,
    sendSignal,
    readiness,
  }) => {
    await tokenFile?.write(NEXT_TOKEN);
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
