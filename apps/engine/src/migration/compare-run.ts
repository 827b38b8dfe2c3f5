import type { Kafka } from "kafkajs";
import { pairResults } from "./compare-pairs.js";
import {
  decodeResult,
  decodeSignal,
  type EngineSide,
  type ResultRecord,
  type SignalRecord,
} from "./compare-records.js";
import type { CompareWindow } from "./compare-window.js";
import {
  type ComparisonReport,
  type ComparisonSamples,
  compareEngines,
} from "./comparison-report.js";
import type { FindingTolerances } from "./pair-findings.js";
import { readTopicWindow } from "./topic-window-reader.js";

const RESULT_KINDS = ["submitted", "filled", "failed"] as const;

/** What to compare: topics by prefix, the window of signals and how long results may lag. */
export interface CompareRequest {
  /** The validated signals topic both engines read. */
  signalsTopic: string;
  /** Execution namespaces; empty: every namespace with result topics under either prefix. */
  namespaces: readonly string[];
  /** Prefix of the old engine's result topics (`""`: `paper.orders.filled`). */
  oldPrefix: string;
  /** Prefix of the new engine's result topics (`"shadow."` for a shadow engine). */
  newPrefix: string;
  window: CompareWindow;
  /** Results are read up to this long after the window's end (ms), for signals late in it. */
  graceMs: number;
  tolerances?: FindingTolerances;
}

/** The namespaces with result topics under `prefix` among `topics`. */
export function namespacesUnder(topics: readonly string[], prefix: string): string[] {
  const found = new Set<string>();
  for (const topic of topics) {
    if (!topic.startsWith(prefix)) continue;
    const match = /^([a-z][a-z0-9_-]*)\.orders\.(submitted|filled|failed)$/.exec(
      topic.slice(prefix.length),
    );
    if (match?.[1]) found.add(match[1]);
  }
  return [...found].sort();
}

/** Every namespace with result topics under any of `prefixes` on the cluster now. */
export async function discoverNamespaces(
  kafka: Kafka,
  prefixes: readonly string[],
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics().finally(() => admin.disconnect());
  return [...new Set(prefixes.flatMap((prefix) => namespacesUnder(topics, prefix)))].sort();
}

/**
 * Reads the window's signals and both engines' results from Kafka and compares them. Results of
 * the same namespace under both prefixes are told apart by topic; when both prefixes are equal
 * (after a cut-over both engines write the same topics) everything counts as the old engine's,
 * which still shows signals executed twice and signals without a result.
 */
export async function runComparison(
  kafka: Kafka,
  request: CompareRequest,
  nowMs: number,
): Promise<{ report: ComparisonReport; samples: ComparisonSamples; missingTopics: string[] }> {
  const namespaces =
    request.namespaces.length > 0
      ? [...request.namespaces]
      : await discoverNamespaces(kafka, [request.oldPrefix, request.newPrefix]);
  const topicSide = resultTopics(request, namespaces);
  const [signalRead, resultRead] = await Promise.all([
    readTopicWindow(kafka, [request.signalsTopic], request.window),
    readTopicWindow(kafka, [...topicSide.keys()], {
      fromMs: request.window.fromMs,
      toMs: Math.min(nowMs, request.window.toMs + request.graceMs),
    }),
  ]);
  const signals: SignalRecord[] = [];
  for (const record of signalRead.records) {
    const signal = record.value ? decodeSignal(record.value) : null;
    if (signal) signals.push(signal);
  }
  const { results, undecodable } = decodeResults(resultRead.records, topicSide);
  const { report, samples } = compareEngines({
    window: {
      from: new Date(request.window.fromMs).toISOString(),
      to: new Date(request.window.toMs).toISOString(),
    },
    signals,
    pairing: pairResults(signals, results),
    undecodable,
    ...(request.tolerances ? { tolerances: request.tolerances } : {}),
  });
  return { report, samples, missingTopics: [...signalRead.missing, ...resultRead.missing] };
}

type TopicSides = Map<string, { side: EngineSide; namespace: string }>;

/** Every result topic of both engines, with the side and namespace it belongs to. */
function resultTopics(request: CompareRequest, namespaces: readonly string[]): TopicSides {
  const sides: { side: EngineSide; prefix: string }[] =
    request.oldPrefix === request.newPrefix
      ? [{ side: "old", prefix: request.oldPrefix }]
      : [
          { side: "old", prefix: request.oldPrefix },
          { side: "new", prefix: request.newPrefix },
        ];
  const topicSide: TopicSides = new Map();
  for (const { side, prefix } of sides) {
    for (const namespace of namespaces) {
      for (const kind of RESULT_KINDS) {
        topicSide.set(`${prefix}${namespace}.orders.${kind}`, { side, namespace });
      }
    }
  }
  return topicSide;
}

/** The results read, decoded per side; what did not decode is counted per side. */
function decodeResults(
  records: Awaited<ReturnType<typeof readTopicWindow>>["records"],
  topicSide: TopicSides,
): { results: ResultRecord[]; undecodable: Record<EngineSide, number> } {
  const results: ResultRecord[] = [];
  const undecodable = { old: 0, new: 0 };
  for (const record of records) {
    const where = topicSide.get(record.topic);
    if (!where) continue;
    const result = record.value ? decodeResult(record.value, where.side, where.namespace) : null;
    if (result) results.push(result);
    else undecodable[where.side] += 1;
  }
  return { results, undecodable };
}
