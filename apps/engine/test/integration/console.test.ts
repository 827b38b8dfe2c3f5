import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { ARTIFACTS_DIR, openPage } from "./test-support/browser.js";
import { controlEnv } from "./test-support/controls.js";
import { openTestDatabase } from "./test-support/database.js";
import { FILE_SCOPE, inProcessTest, newSite } from "./test-support/fixtures.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import { uniqueName } from "./test-support/kafka.js";
import { validatedSignal } from "./test-support/messages.js";
import { sendOne } from "./test-support/probes.js";
import { sendSignals } from "./test-support/signal-stream.js";

const ADMIN_TOKEN = "console-admin-token-0123456789";
const SCREENSHOT = join(ARTIFACTS_DIR, "console.png");
const strategyId = uniqueName("console_s_");

/**
 * The file's engine on real Kafka and PostgreSQL with an admin token (paper only: the live
 * stand-in is loaded, not enabled), and `openConsole(engine)`: a browser showing an engine's
 * console, live.
 */
const it = inProcessTest
  .extend("options", FILE_SCOPE, {
    label: "console",
    env: { ...controlEnv("console", ADMIN_TOKEN), LIVESIM_ENABLED: "false" },
    strategies: [{ id: strategyId }],
    price: 1234.5,
  })
  .extend("openConsole", FILE_SCOPE, ({ teardown }) => async (engine: TestEngine) => {
    const origin = `http://127.0.0.1:${engine.running.httpPort}`;
    const browser = await openPage(teardown, origin);
    await browser.page.goto(`${origin}/`);
    await browser.page.getByTestId("live").filter({ hasText: "live" }).waitFor({ timeout: 10_000 });
    return browser;
  });

/**
 * Issue 15: the engine's browser console, in a real Chromium, against an engine on real Kafka and
 * PostgreSQL: a fill appears live, a halt through its button refuses the next signal.
 */
describe("the browser console on an engine with an admin token", () => {
  it("shows a signal's fill without a reload, halts the strategy through its button (a wrong token refused on screen), shows the next signal refused, and fetches nothing outside the engine", async ({
    bench: { producer },
    engine,
    openConsole,
    site: { signalTopic },
    token,
  }) => {
    const browser = await openConsole(engine);
    const { page } = browser;
    await page
      .locator("#admin", { hasText: "admin: token asked per change" })
      .waitFor({ timeout: 10_000 });
    await expect(page.locator("#admin").textContent()).resolves.toBe(
      "admin: token asked per change",
    );
    // A reload would lose this: the row below must come through the event stream.
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    const first = validatedSignal({ strategyId, instrumentToken: token, quantity: 3 });
    await sendSignals(producer, signalTopic, [first]);
    const filled = page.locator(
      `#blotter tr[data-signal="${first.id}"][data-namespace="paper"][data-state="filled"]`,
    );
    await filled.waitFor({ timeout: 30_000 });
    await expect(filled.textContent()).resolves.toContain("3 / 3");
    await expect(
      page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
    ).resolves.toBe(true);
    // The realised P&L table knows the strategy from the journal's fills.
    await page.locator(`#pnl tr[data-strategy="${strategyId}"]`).waitFor({ timeout: 10_000 });

    const halt = page.locator(
      `button[data-action="HALTED"][data-scope="strategy"][data-strategy="${strategyId}"]`,
    );
    await halt.click();
    await page.getByTestId("control-token").fill("not-the-token");
    await page.getByTestId("control-reason").fill("console test: halt");
    await page.getByTestId("control-submit").click();
    // The refusal appears once the POST is answered: waited for, not read at once.
    await page.locator("#control-error", { hasText: "HTTP 401" }).waitFor({ timeout: 10_000 });
    expect(engine.running.controls.resolve({ namespace: "paper", strategyId }).state).toBe(
      "ACTIVE",
    );
    await page.getByTestId("control-token").fill(ADMIN_TOKEN);
    await page.getByTestId("control-submit").click();
    await page
      .locator(`tr[data-scope-key="strategy:${strategyId}"] [data-testid="scope-state"]`)
      .filter({ hasText: "HALTED" })
      .waitFor({ timeout: 10_000 });
    expect(engine.running.controls.resolve({ namespace: "paper", strategyId }).state).toBe(
      "HALTED",
    );

    const second = validatedSignal({ strategyId, instrumentToken: token, quantity: 4 });
    await sendSignals(producer, signalTopic, [second]);
    const refused = page.locator(
      `#blotter tr[data-signal="${second.id}"][data-state="failed"][data-error-code="TRADING_HALTED"]`,
    );
    await refused.waitFor({ timeout: 30_000 });

    // A message that is not a signal: its dead letter and reason appear too.
    await sendOne(producer, signalTopic, { key: null, value: "not a signal" });
    await page
      .locator("#dead-letters tr")
      .filter({ hasText: signalTopic })
      .waitFor({ timeout: 30_000 });
    await page.getByTestId("lag").filter({ hasText: "behind" }).waitFor({ timeout: 10_000 });
    await expect(page.getByTestId("lag").textContent()).resolves.toContain("behind");
    await page.locator("#latency-chart svg").waitFor({ timeout: 10_000 });

    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    expect(browser.outsideRequests).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});

describe("the browser console on an engine without an admin token", () => {
  it("says it is read-only, disables every trading-state button, and the admin API refuses a change anyway", async ({
    openConsole,
    startEngine,
    teardown,
  }) => {
    // An engine of its own, on a database of its own, without an admin token.
    const readOnly = await startEngine(
      { ...controlEnv("console_ro"), ENGINE_ADMIN_TOKEN: undefined },
      { site: newSite("console_ro"), databaseUrl: (await openTestDatabase(teardown)).url },
    );
    const browser = await openConsole(readOnly);
    const { page } = browser;
    // The page renders from /api answers after it loads: waited for, not read at once.
    await page.getByTestId("readonly-note").waitFor({ state: "visible", timeout: 10_000 });
    const buttons = page.locator("button[data-action]");
    await buttons.nth(5).waitFor({ timeout: 10_000 });
    await expect(buttons.count()).resolves.toBeGreaterThanOrEqual(6);
    for (const button of await buttons.all()) {
      await expect(button.isDisabled()).resolves.toBe(true);
    }
    const status = await page.evaluate(async () => {
      const response = await fetch("/control", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer guess" },
        body: JSON.stringify({ scope: "global", state: "HALTED", reason: "should be refused" }),
      });
      return response.status;
    });
    expect(status).toBe(403);
    expect(browser.outsideRequests).toEqual([]);
  });
});
