import { systemClock } from "@engine/core";
import { RecordingLogger } from "@engine/core/testing";
import { describe, expect, it } from "vitest";
import { type ControlsUnderTest, startControls } from "../test-support/controls-testbed.js";
import { useHttpTestbed } from "../test-support/http-testbed.js";
import { useServiceTestbed } from "../test-support/service-testbed.js";
import { registerControlRoutes } from "./control-routes.js";

const TOKEN = "s3cret-token-0123456789";
const testbed = useServiceTestbed();
const http = useHttpTestbed();

async function serve(
  adminToken: string | null,
): Promise<{ url: string; controls: ControlsUnderTest; logger: RecordingLogger }> {
  const controls = await startControls(testbed.database());
  const logger = new RecordingLogger();
  const url = await http.serve((app) =>
    registerControlRoutes(app, {
      board: controls.board,
      positions: controls.positions,
      adminToken,
      namespaces: () => ["paper", "zerodha"],
      clock: systemClock,
      logger,
    }),
  );
  return { url, controls, logger };
}

const HALT = { scope: "global", state: "HALTED", reason: "kill switch drill" };

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/control`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("admin API", () => {
  it("takes a halt with the right token: 202 once on the control log, then GET /control shows it", async () => {
    const { url, controls } = await serve(TOKEN);
    const answer = await post(url, HALT, {
      authorization: `Bearer ${TOKEN}`,
      "x-operator": "alice",
    });
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({
      accepted: { scope: "global", state: "HALTED", operator: "alice", cancel_open: false },
    });
    expect(controls.board.resolve({ namespace: "zerodha", strategyId: "s" }).state).toBe("HALTED");
    const state = await (await fetch(`${url}/control`)).json();
    expect(state).toMatchObject({
      caught_up: true,
      scopes: [{ key: "global", state: "HALTED", reason: "kill switch drill", expired: false }],
    });
  });

  it.each([
    ["no Authorization header", {}],
    ["a wrong token", { authorization: "Bearer not-the-token-at-all" }],
    ["the token without Bearer", { authorization: TOKEN }],
    ["the token with another scheme", { authorization: `Basic ${TOKEN}` }],
    ["the token with a suffix", { authorization: `Bearer ${TOKEN} x` }],
  ])(
    "answers 401 to %s, changes nothing and logs the attempt without the token",
    async (_name, headers) => {
      const { url, controls, logger } = await serve(TOKEN);
      const answer = await post(url, HALT, headers);
      expect(answer.status).toBe(401);
      expect(await answer.text()).not.toContain(TOKEN);
      expect(controls.board.list()).toEqual([]);
      const refusals = logger.records.filter((record) => record.message?.includes("(401)"));
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatchObject({
        level: "warn",
        context: {
          remote: "127.0.0.1",
          credentials: "authorization" in headers ? "wrong" : "missing",
        },
      });
      expect(logger.text()).not.toContain(TOKEN);
    },
  );

  it("takes the Bearer scheme in any case (RFC 9110)", async () => {
    const { url, controls } = await serve(TOKEN);
    const answer = await post(url, HALT, { authorization: `bearer  ${TOKEN}` });
    expect(answer.status).toBe(202);
    expect(controls.board.resolve({ namespace: "paper", strategyId: "s" }).state).toBe("HALTED");
  });

  it.each([
    [
      "an expires_at already past",
      { ...HALT, expires_at: "2026-01-01T09:15:00+05:30" },
      "expires_at",
    ],
    [
      "a namespace this engine does not serve",
      { scope: "namespace", namespace: "zerodah", state: "HALTED", reason: "r" },
      "namespace",
    ],
  ])("answers 400 to %s, naming the field, and changes nothing", async (_name, body, path) => {
    const { url, controls } = await serve(TOKEN);
    const answer = await post(url, body, { authorization: `Bearer ${TOKEN}` });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ issues: [{ path }] });
    expect(controls.board.list()).toEqual([]);
  });

  it("is read-only without ENGINE_ADMIN_TOKEN: 403 to writes, reads still answer", async () => {
    const { url, controls } = await serve(null);
    expect((await post(url, HALT, { authorization: "Bearer anything" })).status).toBe(403);
    expect(controls.board.list()).toEqual([]);
    expect((await fetch(`${url}/control`)).status).toBe(200);
    expect(await (await fetch(`${url}/positions`)).json()).toEqual({ positions: [] });
  });

  it("checks the token before reading the body: 401 to a malformed body sent without it", async () => {
    const { url } = await serve(TOKEN);
    const answer = await fetch(`${url}/control`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(answer.status).toBe(401);
  });

  it("answers 400 to a misspelt field, naming it, and to an X-Operator over 200 characters", async () => {
    const { url, controls } = await serve(TOKEN);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const misspelt = await post(url, { ...HALT, cancelOpen: true }, auth);
    expect(misspelt.status).toBe(400);
    expect(JSON.stringify(await misspelt.json())).toContain("cancelOpen");
    const long = await post(url, HALT, { ...auth, "x-operator": "o".repeat(201) });
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({ issues: [{ path: "X-Operator" }] });
    expect(controls.board.list()).toEqual([]);
  });

  it("answers 400 naming the field to a body that is not a valid change", async () => {
    const { url, controls } = await serve(TOKEN);
    const answer = await post(
      url,
      { scope: "namespace", state: "HALTED", reason: "r" },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ issues: [{ path: "namespace" }] });
    expect(controls.board.list()).toEqual([]);
  });
});
