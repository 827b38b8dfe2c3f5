import { clientOrderId, OrderFailedEventSchema } from "@engine/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "./support/kafka.js";
import { validatedSignal } from "./support/messages.js";
import { sendSignals } from "./support/signal-stream.js";
import { Teardown } from "./support/teardown.js";
import {
  outcomeOn,
  recordingLogger,
  startUpstoxScenario,
  type UpstoxScenario,
  waitForEnds,
} from "./support/upstox-harness.js";
import { accessTokenFile, type TokenFile } from "./support/zerodha-harness.js";

const RELIANCE = 738561;
const TODAYS_TOKEN = "upexpiry_token_day_one";
const NEXT_TOKEN = "upexpiry_token_day_two";

describe("upstox: an expired access token, then a rotated one", () => {
  const namespace = uniqueName("upexpiry");
  const signalTopic = `${namespace}.signals.validated`;
  const teardown = new Teardown();
  const logger = recordingLogger();
  let tokenFile: TokenFile;
  let s: UpstoxScenario;

  beforeAll(async () => {
    tokenFile = await accessTokenFile(teardown, TODAYS_TOKEN);
    s = await startUpstoxScenario(teardown, {
      namespace,
      upstox: { accessToken: TODAYS_TOKEN },
      variables: { UPSTOX_ACCESS_TOKEN: "", UPSTOX_ACCESS_TOKEN_FILE: tokenFile.path },
      strategies: [{ id: "up_expiry", zerodha: true, targets: ["upstox"] }],
      tokens: [RELIANCE],
      logger,
    });
  });

  afterAll(() => teardown.run());

  async function trade() {
    const signal = validatedSignal({
      strategyId: "up_expiry",
      instrumentToken: RELIANCE,
      quantity: 2,
    });
    await sendSignals(s.bench.producer, signalTopic, [signal]);
    await waitForEnds(s.bench, [signal.id], ["upstox", "zerodha", "paper"]);
    return signal;
  }

  it("fails TRADER_UNAVAILABLE while the token is expired, leaving paper and zerodha alone, and trades again once it rotates", async () => {
    const before = await trade();
    expect(outcomeOn(s.bench, before.id, "upstox").filled).toHaveLength(1);

    s.upstox.expireToken();
    const expired = await trade();
    const failed = outcomeOn(s.bench, expired.id, "upstox").failed;
    expect(failed).toHaveLength(1);
    expect(OrderFailedEventSchema.parse(failed[0]?.json).data.error_code).toBe(
      "TRADER_UNAVAILABLE",
    );
    expect(s.upstox.orders().filter((o) => o.tag === clientOrderId(expired.id, "upstox"))).toEqual(
      [],
    );
    expect(outcomeOn(s.bench, expired.id, "zerodha").filled).toHaveLength(1);
    expect(outcomeOn(s.bench, expired.id, "paper").filled).toHaveLength(1);

    // A later signal still fails, and sends no order while the token is known bad.
    const stillExpired = await trade();
    expect(
      OrderFailedEventSchema.parse(outcomeOn(s.bench, stillExpired.id, "upstox").failed[0]?.json)
        .data.error_code,
    ).toBe("TRADER_UNAVAILABLE");

    s.upstox.setAccessToken(NEXT_TOKEN);
    await tokenFile.write(NEXT_TOKEN);
    await expect
      .poll(() => s.engine.running.registry.health().upstox?.status, { timeout: 10_000 })
      .toBe("ready");
    const after = await trade();
    expect(outcomeOn(s.bench, after.id, "upstox").filled).toHaveLength(1);
    expect(
      s.upstox.orders().filter((o) => o.tag === clientOrderId(after.id, "upstox")),
    ).toHaveLength(1);

    // No token in a log line or a published event.
    const published = s.bench.recorder.messages.map((m) => m.value).join("\n");
    for (const token of [TODAYS_TOKEN, NEXT_TOKEN]) {
      expect(logger.lines.join("\n")).not.toContain(token);
      expect(published).not.toContain(token);
    }
  });
});
