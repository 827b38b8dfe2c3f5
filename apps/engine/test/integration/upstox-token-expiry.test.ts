import { clientOrderId, OrderFailedEventSchema } from "@engine/core";
import { RecordingLogger } from "@engine/core/testing";
import { describe, expect } from "vitest";
import { FILE_SCOPE, upstoxTest } from "./test-support/fixtures.js";
import { outcomeOn } from "./test-support/upstox-harness.js";

const RELIANCE = 738561;
const TODAYS_TOKEN = "upexpiry_token_day_one";
const NEXT_TOKEN = "upexpiry_token_day_two";
const logger = new RecordingLogger();
/** A signal of the file's strategy, trading on upstox, zerodha and paper. */
const SIGNAL = { strategyId: "up_expiry", instrumentToken: RELIANCE, quantity: 2 };
const EVERY_NAMESPACE = ["upstox", "zerodha", "paper"];

const it = upstoxTest.extend("options", FILE_SCOPE, {
  label: "upexpiry",
  upstox: { accessToken: TODAYS_TOKEN },
  tokenFile: true,
  strategies: [{ id: "up_expiry", zerodha: true, targets: ["upstox"] }],
  tokens: [RELIANCE],
  logger,
});

describe("upstox: an expired access token, then a rotated one", () => {
  it("fails TRADER_UNAVAILABLE while the token is expired, leaving paper and zerodha alone, and trades again once it rotates", async ({
    bench,
    upstox,
    engine,
    tokenFile,
    trade,
  }) => {
    const before = await trade(SIGNAL, EVERY_NAMESPACE);
    expect(outcomeOn(bench, before.id, "upstox").filled).toHaveLength(1);

    upstox.expireToken();
    const expired = await trade(SIGNAL, EVERY_NAMESPACE);
    const failed = outcomeOn(bench, expired.id, "upstox").failed;
    expect(failed).toHaveLength(1);
    expect(OrderFailedEventSchema.parse(failed[0]?.json).data.error_code).toBe(
      "TRADER_UNAVAILABLE",
    );
    expect(upstox.orders().filter((o) => o.tag === clientOrderId(expired.id, "upstox"))).toEqual(
      [],
    );
    expect(outcomeOn(bench, expired.id, "zerodha").filled).toHaveLength(1);
    expect(outcomeOn(bench, expired.id, "paper").filled).toHaveLength(1);

    // A later signal still fails, and sends no order while the token is known bad.
    const stillExpired = await trade(SIGNAL, EVERY_NAMESPACE);
    expect(
      OrderFailedEventSchema.parse(outcomeOn(bench, stillExpired.id, "upstox").failed[0]?.json).data
        .error_code,
    ).toBe("TRADER_UNAVAILABLE");

    upstox.setAccessToken(NEXT_TOKEN);
    await tokenFile?.write(NEXT_TOKEN);
    await expect
      .poll(() => engine.running.registry.health().upstox?.status, { timeout: 10_000 })
      .toBe("ready");
    const after = await trade(SIGNAL, EVERY_NAMESPACE);
    expect(outcomeOn(bench, after.id, "upstox").filled).toHaveLength(1);
    expect(upstox.orders().filter((o) => o.tag === clientOrderId(after.id, "upstox"))).toHaveLength(
      1,
    );

    // No token in a log line or a published event.
    const published = bench.recorder.messages.map((m) => m.value).join("\n");
    for (const token of [TODAYS_TOKEN, NEXT_TOKEN]) {
      expect(logger.text()).not.toContain(token);
      expect(published).not.toContain(token);
    }
  });
});
