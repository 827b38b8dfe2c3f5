import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import type { Teardown } from "./teardown.js";

/** Debian's Chromium, installed by scripts/services/chromium.sh (called by up.sh). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Where browser tests keep their screenshots (gitignored, kept after the run). */
export const ARTIFACTS_DIR = new URL("../../artifacts/", import.meta.url).pathname;

export interface BrowserPage {
  page: Page;
  /** Every URL the page asked for outside `origin`: the console must ask for none. */
  outsideRequests: string[];
  /** Errors thrown in the page (uncaught), as text. */
  pageErrors: string[];
}

/**
 * A page of a headless Chromium with a fresh profile, closed at the teardown. Chromium's own
 * background traffic (updates, sync, field trials) is switched off, so every request seen comes
 * from the page.
 * @throws Error when Chromium is not installed, saying how to install it
 */
export async function openPage(teardown: Teardown, origin: string): Promise<BrowserPage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run 'bash scripts/services/up.sh' first`);
  }
  const profile = mkdtempSync(join(tmpdir(), "engine-console-chromium-"));
  teardown.defer(() => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 1100 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  teardown.defer(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const outsideRequests: string[] = [];
  const pageErrors: string[] = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith("data:")) outsideRequests.push(url);
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  return { page, outsideRequests, pageErrors };
}
