import type { KiteEmulator } from "@engine/kite-emulator";
import { orderTag } from "@engine/trader-zerodha";
import type { Recorded, TopicRecorder } from "./kafka.js";

/** What one signal produced on the zerodha and paper result topics, copies collapsed by event id. */
export interface SignalOutcome {
  placed: Recorded[];
  filled: Recorded[];
  failed: Recorded[];
  paper: Recorded[];
}

/** What `problems` expects of each signal on the zerodha namespace. */
export interface Expectation {
  /** The one terminal event's kind; any when absent. */
  end?: "filled" | "failed";
  /** Whether an `order_placed` (and so an order at the emulator) must exist: true by default. */
  placed?: boolean;
}

/**
 * The zerodha (and paper) results of known signals, read from a `TopicRecorder` on the shared
 * result topics; only results whose causation_id is one of the signals count. Copies of one
 * event (the same id, published again after a crash) count once.
 */
export class ZerodhaLedger {
  readonly #recorder: TopicRecorder;
  readonly #bySignal = new Map<string, Recorded[]>();
  /** Signals a test waited for or checked: what a failure report covers. */
  readonly #watched = new Set<string>();
  #cursor = 0;

  constructor(recorder: TopicRecorder) {
    this.#recorder = recorder;
  }

  /** The distinct results of one signal, by kind. */
  of(signalId: string): SignalOutcome {
    this.#sync();
    const outcome: SignalOutcome = { placed: [], filled: [], failed: [], paper: [] };
    const seen = new Set<string>();
    for (const message of this.#bySignal.get(signalId) ?? []) {
      const id = `${message.topic}/${String(message.json.id)}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (message.topic.startsWith("paper.")) outcome.paper.push(message);
      else if (message.topic === "zerodha.orders.submitted") outcome.placed.push(message);
      else if (message.topic === "zerodha.orders.filled") outcome.filled.push(message);
      else if (message.topic === "zerodha.orders.failed") outcome.failed.push(message);
    }
    return outcome;
  }

  /** Every copy recorded for a signal, duplicates included. */
  copies(signalId: string): Recorded[] {
    this.#sync();
    return [...(this.#bySignal.get(signalId) ?? [])];
  }

  /** Signals with a terminal zerodha result (filled or failed) and a paper result. */
  ended(ids: readonly string[]): number {
    return ids.filter((id) => {
      const outcome = this.of(id);
      return outcome.filled.length + outcome.failed.length > 0 && outcome.paper.length > 0;
    }).length;
  }

  /** Waits until every signal has ended on zerodha and has a paper result. */
  async waitForEnds(ids: readonly string[], timeoutMs: number): Promise<void> {
    for (const id of ids) this.#watched.add(id);
    await this.#recorder.waitFor(
      () => this.ended(ids) === ids.length,
      timeoutMs,
      `the end of ${ids.length} signals on zerodha and paper (have ${this.ended(ids)}): ${this.problems(ids).slice(0, 5).join("; ")}`,
    );
  }

  /**
   * Every way the signals fall short of: exactly one order at the emulator (counted by the
   * signal's tag), exactly one `order_placed`, exactly one terminal event on zerodha (filled or
   * failed, never both), the placed and terminal events naming the emulator's order, and
   * exactly one paper result.
   */
  problems(
    ids: readonly string[],
    emulator?: KiteEmulator,
    expectation: Expectation = {},
  ): string[] {
    for (const id of ids) this.#watched.add(id);
    const byTag = emulator?.stats().ordersByTag ?? {};
    const orderIdsByTag = new Map<string, string[]>();
    for (const order of emulator?.orders() ?? []) {
      const list = orderIdsByTag.get(order.tag ?? "") ?? [];
      list.push(order.order_id);
      orderIdsByTag.set(order.tag ?? "", list);
    }
    return ids.flatMap((id) => {
      const tag = orderTag(id);
      const atEmulator =
        emulator === undefined
          ? null
          : { orders: byTag[tag] ?? 0, orderId: orderIdsByTag.get(tag)?.[0] };
      return this.#problemsOf(id, atEmulator, expectation);
    });
  }

  /** Adds signals to what a failure report covers, before they are waited for. */
  watch(ids: readonly string[]): void {
    for (const id of ids) this.#watched.add(id);
  }

  /** The signals tests waited for or checked, in the order first seen. */
  watched(): string[] {
    return [...this.#watched];
  }

  /** `problems` for one signal; `atEmulator`: its tag's orders there, null without an emulator. */
  #problemsOf(
    id: string,
    atEmulator: { orders: number; orderId: string | undefined } | null,
    expectation: Expectation,
  ): string[] {
    const wantPlaced = expectation.placed ?? true;
    const outcome = this.of(id);
    const problems: string[] = [];
    if (atEmulator && atEmulator.orders !== (wantPlaced ? 1 : 0)) {
      problems.push(`${id}: ${atEmulator.orders} orders at the emulator (tag ${orderTag(id)})`);
    }
    if (outcome.placed.length !== (wantPlaced ? 1 : 0)) {
      problems.push(`${id}: ${outcome.placed.length} order_placed`);
    }
    const terminal = [...outcome.filled, ...outcome.failed];
    problems.push(...terminalProblems(id, outcome, expectation));
    if (wantPlaced && atEmulator?.orders === 1) {
      const named = [...outcome.placed, ...terminal].map((m) => String(m.json.data?.order_id));
      if (named.some((value) => value !== atEmulator.orderId)) {
        problems.push(
          `${id}: results name order ${named.join(", ")}, the emulator has ${atEmulator.orderId}`,
        );
      }
    }
    if (outcome.paper.length !== 1) problems.push(`${id}: ${outcome.paper.length} paper results`);
    return problems;
  }

  #sync(): void {
    const messages = this.#recorder.messages;
    for (; this.#cursor < messages.length; this.#cursor += 1) {
      const message = messages[this.#cursor];
      if (!message) continue;
      const cause = message.json.causation_id;
      if (typeof cause !== "string") continue;
      const list = this.#bySignal.get(cause);
      if (list) list.push(message);
      else this.#bySignal.set(cause, [message]);
    }
  }
}

/** Exactly one terminal event on zerodha, on the expected topic when one is expected. */
function terminalProblems(
  id: string,
  outcome: { filled: readonly Recorded[]; failed: readonly Recorded[] },
  expectation: Expectation,
): string[] {
  const terminal = [...outcome.filled, ...outcome.failed];
  if (terminal.length !== 1) {
    return [
      `${id}: ${terminal.length} terminal events on zerodha (${outcome.filled.length} filled, ${outcome.failed.length} failed)`,
    ];
  }
  if (expectation.end && terminal[0]?.topic !== `zerodha.orders.${expectation.end}`) {
    const data = terminal[0]?.json.data ?? {};
    return [
      `${id}: ended on ${terminal[0]?.topic} (${String(data.error_code ?? "")} ${String(data.error_message ?? "")})`,
    ];
  }
  return [];
}
