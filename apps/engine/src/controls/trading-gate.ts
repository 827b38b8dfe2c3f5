import {
  checkPreTrade,
  describeScope,
  type MarketQuote,
  type PreTradeLimits,
  type PreTradeUsage,
  reducesPosition,
} from "@engine/core";
import type { RefuseEvent } from "../execution/execution-service.js";
import type { TrackedExecution } from "../execution/tracked-execution.js";
import type { Exposure } from "../journal/position-ledger.js";
import type { EngineMetrics } from "../observability/metrics.js";
import type { ControlBoard } from "./control-board.js";
import type { UsageCounter } from "./order-usage.js";

const NO_USAGE: PreTradeUsage = { ordersLastMinute: 0, ordersToday: 0, notionalToday: 0 };

export interface TradingGateOptions {
  board: ControlBoard;
  /** A strategy's exposure in an instrument on a namespace (the journal's fills and open orders). */
  exposure(namespace: string, strategyId: string, instrumentToken: number): Promise<Exposure>;
  limits(namespace: string): PreTradeLimits;
  /** Counts the orders let through, for the rules on orders per minute and day and daily notional. */
  usage: UsageCounter;
  quote(instrumentToken: number): MarketQuote | null;
  metrics: EngineMetrics;
}

/**
 * The engine's last word before an order goes out: the operator's trading state (`HALTED` →
 * `TRADING_HALTED`; `REDUCING` → `REDUCE_ONLY` unless the order reduces the strategy's net
 * position on the namespace without crossing zero), then the pre-trade limits (`RISK_REJECTED`,
 * naming the rule). A refusal is an event for the execution's state machine, so it ends in an
 * `order_failed` journaled and published like any other; its message names the scope, the
 * operator and the reason (or the rule), which is how the journal records what refused it.
 */
export class TradingGate {
  readonly #o: TradingGateOptions;

  constructor(options: TradingGateOptions) {
    this.#o = options;
  }

  /** Resolves once the trading state is known (the control log was read up to its end). */
  ready(): Promise<void> {
    return this.#o.board.ready;
  }

  /**
   * The refusal of an execution about to be sent at `at` (epoch ms), or null to let it through.
   * An order let through is counted by the limits on orders per minute and day: call it once per
   * order, and {@link TradingGate.recheck} after any wait that follows.
   */
  async check(execution: TrackedExecution, at: number): Promise<RefuseEvent | null> {
    const order = gatedOrder(execution);
    return this.#counted(
      execution,
      (await this.#stateRefusal(order, at)) ?? (await this.#limitRefusal(order, at)),
    );
  }

  /**
   * The trading state's refusal (HALTED, REDUCING) of an execution checked before, at the moment
   * it is sent after a wait (for the shared order budget; a re-submission), or null. The limits
   * are not judged again: they counted the order at its check.
   */
  async recheck(execution: TrackedExecution, at: number): Promise<RefuseEvent | null> {
    // The control log read anew meanwhile (its topic re-created): not sent on a view not current.
    await this.#o.board.ready;
    // Journaled `submitted` by now, the order is among the strategy's open orders itself.
    const order = { ...gatedOrder(execution), open: true };
    return this.#counted(execution, await this.#stateRefusal(order, at));
  }

  #counted(execution: TrackedExecution, refusal: RefuseEvent | null): RefuseEvent | null {
    if (refusal) {
      this.#o.metrics.controlRefusals.inc({
        namespace: execution.namespace,
        error_code: refusal.code,
      });
    }
    return refusal;
  }

  /** The trading state of the most restrictive scope: HALTED refuses, REDUCING refuses what adds. */
  async #stateRefusal(
    { namespace, signal, original, open }: GatedOrder,
    at: number,
  ): Promise<RefuseEvent | null> {
    const strategyId = original.strategy_id;
    const { state, control } = this.#o.board.resolve({ namespace, strategyId });
    if (control === null) return null;
    const by = `${describeScope(control)} (operator ${control.operator}, since ${control.ts}): ${control.reason}`;
    if (state === "HALTED") {
      return { type: "refuse", code: "TRADING_HALTED", message: `trading halted by ${by}`, at };
    }
    if (state !== "REDUCING") return null;
    const quantity = signal.validated_quantity;
    const side = original.signal_type === "SELL" ? "SELL" : "BUY";
    const exposure = await this.#o.exposure(namespace, strategyId, original.instrument_token);
    // Judged as if every other open order filled: two SELLs each within a long position must not
    // together cross zero.
    const own = open ? quantity : 0;
    const net =
      side === "SELL"
        ? exposure.net - Math.max(0, exposure.openSell - own)
        : exposure.net + Math.max(0, exposure.openBuy - own);
    if (reducesPosition(net, side, quantity)) return null;
    const pending =
      net === exposure.net ? "" : ` once its open orders fill (${exposure.net} filled)`;
    return {
      type: "refuse",
      code: "REDUCE_ONLY",
      message: `reduce-only set by ${by}; a ${side} of ${quantity} does not reduce the net position of ${net}${pending}`,
      at,
    };
  }

  /** The pre-trade limits, counted across instances where a rule needs the count. */
  async #limitRefusal(
    { namespace, signal, original }: GatedOrder,
    at: number,
  ): Promise<RefuseEvent | null> {
    const lastPrice = this.#o.quote(original.instrument_token)?.lastPrice ?? null;
    const limits = this.#o.limits(namespace);
    const judge = (usage: PreTradeUsage) =>
      checkPreTrade(
        limits,
        {
          quantity: signal.validated_quantity,
          price: signal.validated_price ?? original.price,
          lastPrice,
        },
        usage,
      );
    // Orders are counted only while a rule needs the count: with none on, nothing is stored.
    const counted =
      limits.maxOrdersPerMinute > 0 || limits.maxOrdersPerDay > 0 || limits.maxDailyNotional > 0;
    const verdict = counted
      ? await this.#o.usage.admit(namespace, original.strategy_id, at, judge)
      : judge(NO_USAGE);
    if (verdict.kind === "refuse") {
      return { type: "refuse", code: "RISK_REJECTED", message: verdict.message, at };
    }
    return null;
  }
}

/** What the gate reads of an execution about to be sent. */
interface GatedOrder {
  namespace: string;
  signal: TrackedExecution["signal"]["data"];
  original: TrackedExecution["signal"]["data"]["original_signal"];
  /** Whether the journal counts the order among the open ones already (journaled `submitted`). */
  open?: boolean;
}

function gatedOrder(execution: TrackedExecution): GatedOrder {
  return {
    namespace: execution.namespace,
    signal: execution.signal.data,
    original: execution.signal.data.original_signal,
  };
}
