import { readFileSync } from "node:fs";
import { join } from "node:path";
import { paperPlugin } from "@engine/trader-paper";
import { describe, expect } from "vitest";
import {
  type FollowingService,
  startFollowing,
} from "../../src/migration/compare-follow-service.js";
import type { Bench } from "./test-support/bench.js";
import { benchTest, FILE_SCOPE } from "./test-support/fixtures.js";
import type { TestEngine } from "./test-support/in-process-engine.js";
import { kafka } from "./test-support/kafka.js";
import { validatedSignal } from "./test-support/messages.js";
import type { MigrationCli } from "./test-support/migration-cli.js";
import { type OldAnswer, startOldEngine } from "./test-support/old-engine-standin.js";
import {
  eventually,
  metricValue,
  primePrice,
  resultsOf,
  resultTopics,
  sleep,
} from "./test-support/probes.js";
import { ResultLedger } from "./test-support/result-ledger.js";
import { prepareSignalTopic, type SignalEvent, sendSignals } from "./test-support/signal-stream.js";

const it = benchTest.extend("options", FILE_SCOPE, {
  label: "cmp",
  namespaces: ["paper"],
  recorded: resultTopics("paper", "shadow."),
  plugins: [paperPlugin],
});

describe("engine compare against a stand-in old engine and a shadow engine on real Kafka", () => {
  // The file's fixtures, bound once: the tests below read one comparison's window.
  let bench: Bench;
  let cli: MigrationCli;
  let shadow: TestEngine;
  let signals: SignalEvent[];
  let planted: { drop: string; price: string; noCausation: string; errorCode: string };
  let following: FollowingService;
  let from: string;
  let to: string;

  /** The old engine's answer: what the shadow engine did, except for the planted differences. */
  async function oldAnswer(signal: SignalEvent): Promise<OldAnswer> {
    if (signal.id === planted.drop) return { kind: "drop" };
    if (signal.id === planted.errorCode) return { kind: "fail", errorCode: "MARKET_CLOSED" };
    const shadowResult = () =>
      resultsOf(bench.recorder, signal.id, "paper", "shadow.").find(
        (m) => m.json.type !== "order_placed",
      );
    await bench.recorder.waitFor(
      () => shadowResult() !== undefined,
      30_000,
      `the shadow result of ${signal.id}`,
    );
    const result = shadowResult();
    const data = result?.json.data ?? {};
    if (result?.json.type === "order_failed")
      return { kind: "fail", errorCode: String(data.error_code) };
    const fillPrice = Number(data.fill_price);
    const fees = data.fees === null ? null : Number(data.fees);
    if (signal.id === planted.price) return { kind: "fill", fillPrice: fillPrice / 1.005, fees };
    return { kind: "fill", fillPrice, fees, withoutCausation: signal.id === planted.noCausation };
  }

  it.beforeAll(async ({ bench: b, cli: c, site, startEngine, teardown, token }) => {
    [bench, cli] = [b, c];
    const { signalTopic } = site;
    const oldGroup = `old-${site.namespace}`;
    await prepareSignalTopic(bench.admin, signalTopic, 3, oldGroup);
    shadow = await startEngine({ ENGINE_MODE: "shadow" });
    await primePrice(shadow, bench.producer, token, 1234.5);
    await startOldEngine(teardown, { signalTopic, groupId: oldGroup, answer: oldAnswer });
    following = await startFollowing({
      kafka,
      signalsTopic: signalTopic,
      namespaces: ["paper"],
      oldPrefix: "",
      newPrefix: "shadow.",
      settleAfterMs: 5_000,
      port: 0,
      logLevel: "warn",
    });
    teardown.defer(() => following.stop());

    // Made just before they are sent, so they are fresh (SIGNAL_MAX_AGE_MS), a few ms apart as a
    // strategy's signals on one instrument are: the fallback match needs distinct timestamps.
    signals = [];
    for (let i = 0; i < 10; i++) {
      signals.push(
        validatedSignal({ strategyId: "compare_paper", instrumentToken: token, quantity: 1 + i }),
      );
      await sleep(3);
    }
    const ids = signals.map((s) => s.id);
    planted = {
      drop: ids[1] ?? "",
      price: ids[3] ?? "",
      noCausation: ids[5] ?? "",
      errorCode: ids[7] ?? "",
    };
    from = new Date(Date.now() - 1_000).toISOString();
    await sendSignals(bench.producer, signalTopic, signals);
    to = new Date(Date.now() + 1_000).toISOString();
    const shadowLedger = new ResultLedger(bench.recorder, ["shadow.paper"]);
    shadowLedger.expect(ids);
    await shadowLedger.waitForAll(30_000);
    // The old engine answered everything but the silent drop (one without causation_id).
    await bench.recorder.waitFor(
      () =>
        bench.recorder.messages.filter(
          (m) =>
            !m.topic.startsWith("shadow.") &&
            (ids.includes(String(m.json.causation_id)) || m.json.causation_id === null),
        ).length >= 9,
      30_000,
      "the old engine's 9 results",
    );
  });

  it("reports exactly the planted differences and the match counts", async () => {
    const html = join(cli.logDir, "compare.html");
    const report = await cli.compareJson([
      "--from",
      from,
      "--to",
      to,
      "--namespaces",
      "paper",
      "--html",
      html,
    ]);

    expect(report.signals).toBe(10);
    expect(report.signalsWithoutResult).toBe(0);
    expect(report.pairs).toEqual({ total: 10, both: 9, onlyOld: 0, onlyNew: 1 });
    expect(report.silentDropsByOld).toBe(1);
    // The result without causation_id was matched on (strategy, instrument, signal timestamp).
    expect(report.unmatched).toEqual({ old: 0, new: 0 });
    expect(report.undecodable).toEqual({ old: 0, new: 0 });
    expect(report.duplicates).toEqual({ old: 0, new: 0 });
    expect(report.outcomeMismatches).toEqual([
      expect.objectContaining({
        signalId: planted.errorCode,
        namespace: "paper",
        old: expect.objectContaining({ kind: "failed", errorCode: "MARKET_CLOSED" }),
        new: expect.objectContaining({ kind: "filled" }),
      }),
    ]);
    expect(report.quantityMismatches).toEqual([]);
    expect(report.fillPriceBps.compared).toBe(8);
    expect(report.fillPriceBps.differing).toBe(1);
    expect(report.fillPriceBps.worst).toEqual([
      expect.objectContaining({ signalId: planted.price, bps: 50 }),
    ]);
    expect(report.fees.differing).toBe(0);
    expect(report.latencyMs.old.count).toBe(9);
    expect(report.latencyMs.new.count).toBe(10);
    // The stand-in answers after the shadow engine (it copies its fill): slower by construction.
    expect(report.latencyMs.difference.max).toBeLessThan(0);
    expect(report.divergences).toEqual({
      only_old: 0,
      only_new: 1,
      outcome: 1,
      quantity: 0,
      fill_price: 1,
      fee: 0,
      duplicate_old: 0,
      duplicate_new: 0,
    });

    const page = readFileSync(html, "utf8");
    expect(page.match(/<svg /g)).toHaveLength(2);
    expect(page).not.toMatch(/<script|\ssrc=|\shref=/i);
  });

  it("prints the same figures as a terminal table", async () => {
    const run = await cli.run(["compare", "--from", from, "--to", to, "--namespaces", "paper"]);
    expect(run.exit.code, run.output).toBe(0);
    expect(run.stdout).toMatch(/silent drops by the old engine\s*│\s*1\s/);
    expect(run.stdout).toMatch(/price 50 bps\s*│\s*\S+\s*│ paper/);
  });

  it("--follow counts the same divergences as metrics while both engines run", async () => {
    const metric = async (name: string, labels: Record<string, string>) =>
      metricValue(await following.metrics.render(), name, labels);
    await eventually(
      () => metric("engine_shadow_pairs_total", { namespace: "paper" }),
      (pairs) => pairs >= 10,
      "10 pairs judged",
      30_000,
    );
    const kinds = [
      "only_new",
      "outcome",
      "fill_price",
      "only_old",
      "quantity",
      "fee",
      "duplicate_old",
      "duplicate_new",
    ];
    const counts = Object.fromEntries(
      await Promise.all(
        kinds.map(async (kind) => [
          kind,
          await metric("engine_shadow_divergence_total", { namespace: "paper", kind }),
        ]),
      ),
    );
    expect(counts).toEqual({
      only_new: 1,
      outcome: 1,
      fill_price: 1,
      only_old: 0,
      quantity: 0,
      fee: 0,
      duplicate_old: 0,
      duplicate_new: 0,
    });
    expect(await metric("engine_shadow_pairs_total", { namespace: "paper" })).toBe(10);
    expect(
      await metric("engine_shadow_result_latency_seconds_count", {
        engine: "old",
        namespace: "paper",
      }),
    ).toBe(9);
    const body = await fetch(`http://127.0.0.1:${following.port}/metrics`).then((r) => r.text());
    expect(body).toMatch(
      /^engine_shadow_latency_difference_seconds\{namespace="paper",quantile="0.5"\} -/m,
    );
  });
});
