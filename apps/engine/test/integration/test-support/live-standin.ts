import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "@engine/core";
import type { AnyTraderPlugin } from "../../../src/app/plugins.js";
// @ts-expect-error: a plain-JS fixture, shared with engines spawned as processes
import { plugin, readRecord } from "./live-standin-plugin.mjs";
import type { Teardown } from "./teardown.js";

/** The live-broker stand-in (namespace `livesim`), for engines started in this process. */
export const LIVE_STANDIN_PLUGIN = plugin as AnyTraderPlugin;

/** An order the stand-in placed, as its record file has it. */
export interface LiveOrder {
  signal_id: string;
  order_id: string;
}

/** Orders the live stand-in placed, read from its record file (none while it has no file yet). */
export function readLiveRecord(file: string): LiveOrder[] {
  return readRecord(file) as LiveOrder[];
}

/** Signals the live stand-in did not place exactly once, and orders for signals not sent. */
export function liveRecordProblems(file: string, signalIds: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const order of readLiveRecord(file)) {
    counts.set(order.signal_id, (counts.get(order.signal_id) ?? 0) + 1);
  }
  const problems: string[] = [];
  for (const id of signalIds) {
    const count = counts.get(id) ?? 0;
    if (count !== 1) problems.push(`${id}: placed ${count} times`);
  }
  const wanted = new Set(signalIds);
  for (const id of counts.keys()) if (!wanted.has(id)) problems.push(`${id}: placed, never sent`);
  return problems;
}

/** A fresh path for the stand-in's record file, removed at the teardown. */
export function liveRecordFile(teardown: Teardown): string {
  const path = join(tmpdir(), `livesim-${randomBytes(6).toString("hex")}.jsonl`);
  teardown.defer(() => rmSync(path, { force: true }));
  return path;
}

/** The variables that turn the stand-in on, recording its orders in `recordFile`. */
export function liveStandinEnv(recordFile: string): Env {
  return { LIVESIM_ENABLED: "true", LIVESIM_RECORD_FILE: recordFile };
}
